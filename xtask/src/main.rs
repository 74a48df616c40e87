//! `cargo xtask run | test | bench | fuzz | fuzz-api`: the project's own set-up. On a machine with only
//! the Rust toolchain it installs what is missing (the wasm32 target, Trunk,
//! the wasm-bindgen CLI matching Cargo.lock, wasm-opt, Chromium and its
//! driver, PostgreSQL), builds the web app, and runs Tandem or its tests.

mod compress;
mod fuzz;
mod fuzz_api;
mod setup;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str =
    "usage: cargo xtask <run [-- tandem serve args…] | test | bench | fuzz [seconds per target] | fuzz-api [examples per operation]>";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.skip_while(|a| a == "--").collect();
    let root = workspace_root()?;
    match task.as_str() {
        "run" => run(&root, &rest),
        "test" => test(&root),
        "bench" => bench(&root),
        "fuzz" => fuzz::fuzz(&root, &rest),
        "fuzz-api" => fuzz_api::fuzz_api(&root, &rest),
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n{USAGE}"),
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives inside the workspace")
}

/// Builds the web app in release and serves Tandem on its embedded defaults.
fn run(root: &Path, serve_args: &[String]) -> Result<()> {
    setup::frontend_toolchain(root)?;
    build_frontend(root)?;
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["run", "--release", "--package", "tandem", "--", "serve"])
        .arg("--static-dir")
        .arg(root.join("frontend/dist"))
        .args(serve_args);
    step("starting Tandem on http://127.0.0.1:8080 (unless --addr says otherwise)");
    check(&mut command, "tandem serve")
}

/// Every check CI runs: format, lints, unit, integration and browser tests.
fn test(root: &Path) -> Result<()> {
    step("checking formatting");
    check(
        cargo()
            .current_dir(root)
            .args(["fmt", "--all", "--", "--check"]),
        "cargo fmt --check",
    )?;
    setup::frontend_toolchain(root)?;
    build_frontend(root)?;
    setup::chromium()?;
    let database_url = setup::postgres()?;
    step("clippy");
    check(
        cargo()
            .current_dir(root)
            .args(["clippy", "--all-targets", "--", "-D", "warnings"]),
        "cargo clippy",
    )?;
    check(
        cargo().current_dir(root).args([
            "clippy",
            "--package",
            "tandem-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy (frontend)",
    )?;
    step("tests");
    check(
        cargo()
            .current_dir(root)
            .env("TANDEM_TEST_DATABASE_URL", database_url)
            .env("TANDEM_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
            .args(["test", "--no-fail-fast"]),
        "cargo test",
    )
}

/// Builds release binaries and the web app, then runs the load generator:
/// it prints the table and writes `target/bench/results.json`.
fn bench(root: &Path) -> Result<()> {
    setup::frontend_toolchain(root)?;
    build_frontend(root)?;
    step("building release binaries");
    check(
        cargo().current_dir(root).args([
            "build",
            "--release",
            "--package",
            "tandem-tests",
            "--bins",
        ]),
        "cargo build --release",
    )?;
    step("benchmarks (loopback only, a few minutes)");
    let release = root.join("target/release");
    check(
        Command::new(release.join("tandem-bench"))
            .arg(&release)
            .arg(root.join("frontend/dist"))
            .arg(root.join("target/bench")),
        "tandem-bench",
    )
}

pub fn build_frontend(root: &Path) -> Result<()> {
    let wasm_opt = setup::wasm_opt(root)?;
    let path = std::env::join_paths(std::iter::once(wasm_opt).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .context("building PATH")?;
    step("building the web app (trunk build --release)");
    check(
        Command::new("trunk")
            .current_dir(root)
            .env("PATH", path)
            .args(["build", "--release", "--offline"]),
        "trunk build",
    )?;
    let sizes = compress::precompress(&root.join("frontend/dist"))?;
    step(&format!(
        "precompressed the web app: {} KB, brotli {} KB, gzip {} KB",
        sizes.identity / 1024,
        sizes.brotli / 1024,
        sizes.gzip / 1024
    ));
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn step(what: &str) {
    println!("==> {what}");
}

pub fn check(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("could not run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
