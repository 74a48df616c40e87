//! A routine's or heartbeat's pre-check: a shell command run in the
//! assistant's workspace before it is woken, so a check that finds nothing
//! to do costs no tokens. It runs in its own process group, for at most
//! `TIME_LIMIT`, and only what it prints (at most `MAX_OUTPUT`) is kept,
//! as a digest. Only admins set one: it runs without anyone approving it.

use crate::store::Store;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use tandem_shared::api::{PreCheck, WakeWhen};
use tokio::io::AsyncReadExt;

pub const TIME_LIMIT: Duration = Duration::from_secs(30);
pub const MAX_OUTPUT: usize = 64 * 1024;

/// What a pre-check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Wake,
    /// Not woken, and why (for the wake log).
    Skip(String),
}

/// Runs `check` in `workspace`; `key` names it for "output changed".
pub async fn run(
    store: &Store,
    key: &str,
    check: &PreCheck,
    workspace: &Path,
    now: i64,
) -> Verdict {
    let ran = match execute(&check.command, workspace).await {
        Ok(ran) => ran,
        Err(reason) => return Verdict::Skip(reason),
    };
    match check.wake_when {
        WakeWhen::ExitsZero => match ran.code {
            Some(0) => Verdict::Wake,
            Some(code) => Verdict::Skip(format!("the pre-check exited {code}")),
            None => Verdict::Skip("the pre-check was ended by a signal".into()),
        },
        WakeWhen::OutputChanged => {
            let digest = hex(&Sha256::digest(&ran.output));
            match store.precheck_output_changed(key, &digest, now).await {
                Ok(true) => Verdict::Wake,
                Ok(false) => Verdict::Skip("the pre-check's output did not change".into()),
                Err(error) => Verdict::Skip(format!("the pre-check's last output: {error}")),
            }
        }
    }
}

struct Ran {
    code: Option<i32>,
    output: Vec<u8>,
}

async fn execute(command: &str, workspace: &Path) -> Result<Ran, String> {
    if !workspace.is_dir() {
        return Err(format!(
            "the pre-check's workspace {} does not exist",
            workspace.display()
        ));
    }
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(workspace)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("the pre-check could not start: {error}"))?;
    let pgid = child.id();
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| "the pre-check's output could not be read".to_owned())?;
    let work = async {
        let mut output = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match stdout.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = MAX_OUTPUT.saturating_sub(output.len());
                    output.extend_from_slice(&chunk[..n.min(room)]);
                }
            }
        }
        let status = child.wait().await;
        (status, output)
    };
    match tokio::time::timeout(TIME_LIMIT, work).await {
        Ok((Ok(status), output)) => Ok(Ran {
            code: status.code(),
            output,
        }),
        Ok((Err(error), _)) => Err(format!("the pre-check could not be waited for: {error}")),
        Err(_) => {
            // Its whole group: a `sleep` it started must not outlive it.
            if let Some(pgid) = pgid.and_then(|id| i32::try_from(id).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pgid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            Err(format!(
                "the pre-check did not finish within {} s",
                TIME_LIMIT.as_secs()
            ))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key a heartbeat's pre-check's last output is kept under.
pub fn heartbeat_key(assistant: &str, command: &str) -> String {
    format!(
        "heartbeat:{assistant}:{}",
        hex(&Sha256::digest(command.as_bytes()))
    )
}
