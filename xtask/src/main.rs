//! `cargo xtask run | web | test | bench | fuzz | fuzz-api`: the project's own set-up. On a machine with only
//! the Rust toolchain it installs what is missing (the wasm32 target, the
//! wasm-bindgen CLI matching Cargo.lock, wasm-opt, Chromium and its driver,
//! PostgreSQL), builds the web app, and runs Tandem or its tests, saying
//! what it does and about how long is left.

mod compress;
mod fuzz;
mod fuzz_api;
mod plan;
mod setup;
mod web_build;

use plan::Plan;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str =
    "usage: cargo xtask <run [-- tandem serve args…] | web | test | bench | fuzz [seconds per target] | fuzz-api [examples per operation]>";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.skip_while(|a| a == "--").collect();
    let root = workspace_root()?;
    match task.as_str() {
        "run" => run(&root, &rest),
        "web" => build_frontend(&root, &mut Plan::new(&root, &WEB_STEPS)),
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

/// The steps that build the web app, in order.
const WEB_STEPS: [&str; 6] = [
    setup::WASM32_TARGET,
    setup::WASM_BINDGEN,
    setup::WASM_OPT,
    web_build::COMPILE,
    web_build::BIND_AND_OPTIMISE,
    COMPRESS,
];
const COMPRESS: &str = "compressing the web app";
const COMPILE_TANDEM: &str = "compiling Tandem (release)";

/// Builds the web app in release and serves Tandem on its embedded defaults.
/// Tandem compiles alongside the web app: on two cores the web build's
/// single-threaded stretches (the WASM's link, wasm-opt, brotli) leave a
/// core free.
fn run(root: &Path, serve_args: &[String]) -> Result<()> {
    let mut plan = Plan::new(root, &[&WEB_STEPS[..], &[COMPILE_TANDEM]].concat());
    let log = root.join("target/xtask/tandem-build.log");
    let tandem = plan.alongside(COMPILE_TANDEM, &log, || {
        let mut build = cargo();
        build
            .current_dir(root)
            .args(["build", "--release", "--package", "tandem"]);
        build
    })?;
    if let Err(failed) = build_frontend(root, &mut plan) {
        tandem.stop();
        return Err(failed);
    }
    plan.finish_alongside(tandem)?;
    step(&format!(
        "starting Tandem on http://127.0.0.1:8080 (unless --addr says otherwise), {} after the start",
        plan::minutes(plan.elapsed().as_secs())
    ));
    check(
        Command::new(root.join("target/release/tandem"))
            .arg("serve")
            .arg("--static-dir")
            .arg(root.join("frontend/dist"))
            .args(serve_args),
        "tandem serve",
    )
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
    let mut plan = Plan::new(root, &[&WEB_STEPS[..], &[CLIPPY, TESTS]].concat());
    build_frontend(root, &mut plan)?;
    setup::chromium()?;
    let database_url = setup::postgres()?;
    plan.begin(CLIPPY);
    check(
        cargo()
            .current_dir(root)
            .args(["clippy", "--all-targets", "--", "-D", "warnings"]),
        "cargo clippy",
    )?;
    // The web app as xtask builds it (split into pieces) and as Trunk does.
    for features in [&["--features", web_build::SPLIT_FEATURE][..], &[]] {
        check(
            cargo()
                .current_dir(root)
                .args([
                    "clippy",
                    "--package",
                    "tandem-frontend",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .args(features)
                .args(["--", "-D", "warnings"]),
            "cargo clippy (frontend)",
        )?;
    }
    plan.begin(TESTS);
    check(
        cargo()
            .current_dir(root)
            .env("TANDEM_TEST_DATABASE_URL", database_url)
            .env("TANDEM_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
            .args(["test", "--no-fail-fast"]),
        "cargo test",
    )?;
    plan.end();
    Ok(())
}

const CLIPPY: &str = "clippy";
const TESTS: &str = "compiling and running the tests";

/// Builds release binaries and the web app, then runs the load generator:
/// it prints the table and writes `target/bench/results.json`.
fn bench(root: &Path) -> Result<()> {
    let mut plan = Plan::new(root, &WEB_STEPS);
    build_frontend(root, &mut plan)?;
    // The wire and first-paint rows drive headless Chromium; the
    // three-server fan-out needs PostgreSQL.
    setup::chromium()?;
    let postgres = setup::postgres()?;
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
            .env("TANDEM_BENCH_DATABASE_URL", &postgres)
            .arg(&release)
            .arg(root.join("frontend/dist"))
            .arg(root.join("target/bench")),
        "tandem-bench",
    )
}

/// Installs what the web build needs, builds the app into `frontend/dist`
/// and precompresses it.
pub fn build_frontend(root: &Path, plan: &mut Plan) -> Result<()> {
    let tools = setup::frontend_toolchain(root, plan)?;
    web_build::build(root, &tools, plan)?;
    plan.begin(COMPRESS);
    let sizes = compress::precompress(&root.join("frontend/dist"))?;
    plan.end();
    step(&format!(
        "the web app: {} KB, brotli {} KB, gzip {} KB",
        sizes.identity / 1024,
        sizes.brotli / 1024,
        sizes.gzip / 1024
    ));
    Ok(())
}

pub fn cargo() -> Command {
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
