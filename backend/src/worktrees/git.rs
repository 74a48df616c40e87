//! Running `git` itself: the one tool that knows every repository layout,
//! hook and attribute. Each call is a child process with no terminal and no
//! prompts, in the C locale (its messages are read), bounded in time.

use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

/// Longest a local git command may take (pushes get longer: a network).
const LOCAL_TIMEOUT: Duration = Duration::from_secs(60);
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GitError {
    #[error("git is not installed on the server ({0})")]
    Missing(String),
    #[error("`git {args}` failed: {message}")]
    Failed {
        args: String,
        code: Option<i32>,
        message: String,
        /// What it wrote to stdout (some commands say the reason there).
        stdout: String,
    },
    #[error("`git {0}` took too long and was stopped")]
    TimedOut(String),
}

/// What a git command printed.
pub struct Output {
    pub stdout: String,
}

/// `git -C dir args…`, its stdout on success.
pub async fn run(dir: &Path, args: &[&str]) -> Result<Output, GitError> {
    run_with(dir, args, &[], LOCAL_TIMEOUT).await
}

/// `run`, with more environment and a time limit of its own.
pub async fn run_with(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<Output, GitError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=off", "-c", "color.ui=false"])
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .env("GIT_PAGER", "cat")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let shown = args.join(" ");
    let child = command.output();
    let output = match tokio::time::timeout(timeout, child).await {
        Err(_) => return Err(GitError::TimedOut(shown)),
        Ok(Err(error)) => return Err(GitError::Missing(error.to_string())),
        Ok(Ok(output)) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message =
            first_words(&stderr).unwrap_or_else(|| first_words(&stdout).unwrap_or_default());
        return Err(GitError::Failed {
            args: shown,
            code: output.status.code(),
            message,
            stdout,
        });
    }
    Ok(Output { stdout })
}

/// The first few lines of what git said, for an error people read.
fn first_words(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(6)
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

impl Output {
    /// The first line, trimmed.
    pub fn line(&self) -> String {
        self.stdout.lines().next().unwrap_or("").trim().to_owned()
    }
}
