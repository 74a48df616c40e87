//! `cargo xtask fuzz [SECONDS]`: each `cargo fuzz` target for a bounded
//! time, from its committed seeds. A crash is copied into
//! `fuzz/regressions/<target>/`, where `cargo xtask test` replays it for
//! good, and the task fails naming it.

use crate::{check, step};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};

const CARGO_FUZZ_VERSION: &str = "0.13.2";
const TARGETS: [&str; 3] = ["agent_line", "client_message", "command_line"];
const DEFAULT_SECONDS: u64 = 60;

pub fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let seconds = match args.first() {
        Some(value) => value
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)
            .with_context(|| format!("`{value}` is not a number of seconds"))?,
        None => DEFAULT_SECONDS,
    };
    cargo_fuzz()?;
    let fuzz_dir = root.join("fuzz");
    let mut crashes = Vec::new();
    for target in TARGETS {
        let corpus = root.join("target/fuzz-corpus").join(target);
        let artifacts = root.join("target/fuzz-artifacts").join(target);
        std::fs::create_dir_all(&corpus).context("corpus directory")?;
        std::fs::create_dir_all(&artifacts).context("artifacts directory")?;
        step(&format!("fuzzing {target} for {seconds} s"));
        // cargo fuzz passes nightly-only flags (the address sanitizer);
        // RUSTC_BOOTSTRAP lets the one stable toolchain on these machines
        // accept them.
        let status = Command::new("cargo")
            .current_dir(root)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", root.join("target/fuzz-build"))
            .args(["fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&corpus)
            .arg(fuzz_dir.join("seeds").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-max_len=65536")
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .status()
            .context("could not run cargo fuzz")?;
        for entry in std::fs::read_dir(&artifacts).context("reading artifacts")? {
            let path = entry?.path();
            let Some(name) = path.file_name() else {
                continue;
            };
            let keep = fuzz_dir.join("regressions").join(target).join(name);
            std::fs::copy(&path, &keep).context("keeping a crash")?;
            std::fs::remove_file(&path).context("clearing an artifact")?;
            crashes.push(keep);
        }
        if !status.success() && crashes.is_empty() {
            bail!("cargo fuzz {target} failed ({status})");
        }
    }
    if !crashes.is_empty() {
        let list: Vec<String> = crashes.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "the fuzzer found crashes, kept as regression inputs (commit them, then fix):\n  {}",
            list.join("\n  ")
        );
    }
    step("no crash found");
    Ok(())
}

fn cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains(CARGO_FUZZ_VERSION))
        .unwrap_or(false);
    if !installed {
        step(&format!(
            "installing cargo-fuzz {CARGO_FUZZ_VERSION} (a few minutes, once)"
        ));
        check(
            Command::new("cargo").args([
                "install",
                &format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"),
                "--locked",
            ]),
            "cargo install cargo-fuzz",
        )?;
    }
    Ok(())
}
