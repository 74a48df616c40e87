//! Installing what a fresh machine lacks, from the package registries only.

use crate::plan::Plan;
use crate::web_build::Tools;
use crate::{check, step};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn is_root() -> bool {
    output("id", &["-u"]).as_deref() == Some("0")
}

fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    if !is_root() {
        bail!(
            "{why} is missing: install it with `sudo apt-get install {}`, then run this again",
            packages.join(" ")
        );
    }
    step(&format!("installing {} with apt", packages.join(" ")));
    check(
        Command::new("apt-get").args(["update", "-qq"]),
        "apt-get update",
    )?;
    check(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq"])
            .args(packages),
        "apt-get install",
    )
}

/// The wasm-bindgen version Cargo.lock holds: the CLI must match it.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
            {
                return Ok(version.to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

/// Where `cargo install` puts binaries.
fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The wasm32 target, the wasm-bindgen CLI matching Cargo.lock and
/// wasm-opt: what the web build runs.
pub fn frontend_toolchain(root: &Path, plan: &mut Plan) -> Result<Tools> {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        plan.skip(WASM32_TARGET);
    } else {
        plan.begin(WASM32_TARGET);
        check(
            Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
            "rustup target add",
        )?;
        plan.end();
    }
    let version = locked_wasm_bindgen(root)?;
    let wanted = format!("wasm-bindgen {version}");
    let installed = cargo_bin().join("wasm-bindgen");
    let wasm_bindgen = [installed.clone(), PathBuf::from("wasm-bindgen")]
        .into_iter()
        .find(|bin| output(&bin.to_string_lossy(), &["--version"]).as_deref() == Some(&wanted));
    let wasm_bindgen = match wasm_bindgen {
        Some(bin) => {
            plan.skip(WASM_BINDGEN);
            bin
        }
        None => {
            plan.begin(WASM_BINDGEN);
            // Without --locked: the registry lacks one of its locked dependencies.
            check(
                Command::new("cargo").args(["install", &format!("wasm-bindgen-cli@{version}")]),
                "cargo install wasm-bindgen-cli",
            )?;
            plan.end();
            installed
        }
    };
    let wasm_opt = wasm_opt(root, plan)?;
    Ok(Tools {
        wasm_bindgen,
        wasm_opt,
    })
}

pub const WASM32_TARGET: &str = "adding the wasm32 target";
pub const WASM_BINDGEN: &str = "installing the wasm-bindgen CLI";
pub const WASM_OPT: &str = "installing wasm-opt from npm";

const BINARYEN_VERSION: &str = "132";

/// wasm-opt from the npm registry's `binaryen` package, installed under
/// `target/tools`: Debian's binaryen 108 breaks wasm-bindgen 0.2.130's
/// output (a funcref table error at start-up). Returns its path.
fn wasm_opt(root: &Path, plan: &mut Plan) -> Result<PathBuf> {
    let dir = root.join("target/tools/binaryen");
    let bin = dir.join("node_modules/.bin");
    let wasm_opt = bin.join("wasm-opt");
    let wanted = format!("wasm-opt version {BINARYEN_VERSION}");
    let have = output(&wasm_opt.to_string_lossy(), &["--version"]).unwrap_or_default();
    if have.starts_with(&wanted) {
        plan.skip(WASM_OPT);
        return Ok(wasm_opt);
    }
    if output("npm", &["--version"]).is_none() {
        apt_install(&["nodejs", "npm"], "npm (for binaryen's wasm-opt)")?;
    }
    plan.begin(WASM_OPT);
    std::fs::create_dir_all(&dir).context("creating target/tools/binaryen")?;
    check(
        Command::new("npm").args([
            "install",
            "--prefix",
            &dir.to_string_lossy(),
            "--no-audit",
            "--no-fund",
            "--no-save",
            &format!("binaryen@{BINARYEN_VERSION}.0.0"),
        ]),
        "npm install binaryen",
    )?;
    plan.end();
    Ok(wasm_opt)
}

pub fn chromium() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "Chromium for the browser tests",
    )
}

/// A PostgreSQL server for the tests: the one `TANDEM_TEST_DATABASE_URL`
/// names, or a local one from Debian's package, started here.
pub fn postgres() -> Result<String> {
    if let Some(url) = std::env::var("TANDEM_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        return Ok(url);
    }
    if output("pg_lsclusters", &["--no-header"]).is_none() {
        apt_install(&["postgresql"], "PostgreSQL for the store tests")?;
    }
    let clusters = output("pg_lsclusters", &["--no-header"]).unwrap_or_default();
    let Some(cluster) = clusters.lines().next() else {
        bail!("PostgreSQL is installed but has no cluster: run `pg_createcluster 15 main`");
    };
    let fields: Vec<&str> = cluster.split_whitespace().collect();
    let (version, name, port, state) = match fields.as_slice() {
        [version, name, port, state, ..] => (*version, *name, *port, *state),
        _ => bail!("cannot read pg_lsclusters: {cluster}"),
    };
    if state != "online" {
        step(&format!("starting PostgreSQL {version}/{name}"));
        check(
            Command::new("pg_ctlcluster").args([version, name, "start"]),
            "pg_ctlcluster start",
        )?;
    }
    if !is_root() {
        bail!(
            "PostgreSQL is running; create a role and set TANDEM_TEST_DATABASE_URL \
             (e.g. postgres://tandem:tandem@127.0.0.1:{port}/postgres)"
        );
    }
    // A role for the tests; each test makes its own database.
    let exists = output(
        "su",
        &[
            "postgres",
            "-c",
            "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'tandem'\"",
        ],
    )
    .unwrap_or_default();
    if exists != "1" {
        check(
            Command::new("su").args([
                "postgres",
                "-c",
                "psql -c \"CREATE ROLE tandem LOGIN CREATEDB PASSWORD 'tandem'\"",
            ]),
            "creating the test role",
        )?;
    }
    Ok(format!(
        "postgres://tandem:tandem@127.0.0.1:{port}/postgres"
    ))
}
