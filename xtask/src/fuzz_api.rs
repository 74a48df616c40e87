//! `cargo xtask fuzz-api [EXAMPLES]`: Schemathesis against Tandem's own
//! OpenAPI document, on SQLite and on PostgreSQL: generated and stateful
//! requests (with an admin's token) that look for server errors, answers
//! that do not match the document, and accepted bad input. Schemathesis is
//! installed into `target/fuzz-api/venv` at a pinned version.

use crate::{check, setup, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
const DEFAULT_EXAMPLES: u32 = 25;

pub fn fuzz_api(root: &Path, args: &[String]) -> Result<()> {
    let examples = match args.first() {
        Some(value) => value
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| format!("`{value}` is not a number of examples"))?,
        None => DEFAULT_EXAMPLES,
    };
    let schemathesis = install(root)?;
    step("building tandem");
    check(
        Command::new("cargo")
            .current_dir(root)
            .args(["build", "--package", "tandem"]),
        "cargo build",
    )?;
    let tandem = root.join("target/debug/tandem");
    let postgres = fresh_postgres(&setup::postgres()?)?;
    let mut failed = Vec::new();
    for (name, database) in [("SQLite", None), ("PostgreSQL", Some(postgres))] {
        step(&format!(
            "schemathesis on {name}, {examples} examples per operation"
        ));
        let data = root
            .join("target/fuzz-api")
            .join(format!("data-{}", name.to_lowercase()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).context("data directory")?;
        let token = admin_token(&tandem, &data, database.as_deref())?;
        let (mut server, url) = serve(&tandem, &data, database.as_deref())?;
        let report = root
            .join("target/fuzz-api")
            .join(format!("{}.xml", name.to_lowercase()));
        let status = Command::new(&schemathesis)
            .arg("run")
            .arg(format!("{url}/api/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            .args(["--max-examples", &examples.to_string()])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(&report)
            .status()
            .context("running schemathesis")?;
        let _ = server.kill();
        let _ = server.wait();
        if !status.success() {
            failed.push(name);
        }
    }
    if failed.is_empty() {
        step("schemathesis found nothing on either database");
        Ok(())
    } else {
        bail!(
            "schemathesis found failures on {} (reports in target/fuzz-api/)",
            failed.join(" and ")
        )
    }
}

fn install(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/fuzz-api/venv");
    let bin = venv.join("bin/schemathesis");
    if !bin.exists() {
        step(&format!("installing {SCHEMATHESIS}"));
        check(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        )?;
        check(
            Command::new(venv.join("bin/pip")).args(["install", "-q", SCHEMATHESIS]),
            "pip install schemathesis",
        )?;
    }
    Ok(bin)
}

/// A database of its own in the test server (`postgres://…/postgres`).
fn fresh_postgres(admin: &str) -> Result<String> {
    let name = format!("tandem_fuzz_api_{}", std::process::id());
    check(
        Command::new("psql")
            .arg(admin)
            .args(["-qc", &format!("CREATE DATABASE {name}")]),
        "creating the fuzzing database",
    )?;
    let (base, _) = admin.rsplit_once('/').context("a database URL")?;
    Ok(format!("{base}/{name}"))
}

fn with_database(command: &mut Command, data: &Path, database: Option<&str>) {
    command.arg("--data-dir").arg(data);
    if let Some(url) = database {
        command.arg("--database-url").arg(url);
    }
}

fn admin_token(tandem: &Path, data: &Path, database: Option<&str>) -> Result<String> {
    let mut add = Command::new(tandem);
    add.args(["user", "add", "fuzzer", "--admin"]);
    with_database(&mut add, data, database);
    let mut child = add
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("tandem user add")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(b"fuzzer-password-long\n")?;
    }
    if !child.wait()?.success() {
        bail!("tandem user add failed");
    }
    let mut create = Command::new(tandem);
    create.args(["token", "create", "--user", "fuzzer"]);
    with_database(&mut create, data, database);
    let out = create.output().context("tandem token create")?;
    if !out.status.success() {
        bail!("tandem token create failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts the server on a free port; its URL once it listens.
fn serve(tandem: &Path, data: &Path, database: Option<&str>) -> Result<(Child, String)> {
    let mut command = Command::new(tandem);
    // "Check agent" starts real agents (through npx, which may download
    // them): a short start timeout answers within the fuzzer's 10 s.
    command.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--agent-start-timeout",
        "3",
    ]);
    with_database(&mut command, data, database);
    let mut child = command
        .env("TANDEM_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("tandem serve")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("Tandem listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => bail!("tandem exited before listening"),
        }
    };
    // Keep draining so the server never blocks on its stdout.
    std::thread::spawn(move || for _ in lines {});
    Ok((child, url))
}
