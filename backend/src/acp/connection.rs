//! An agent process and its stdio: a reader task turning stdout lines into
//! messages, a writer task, and a tail of stderr for error reports.
//!
//! The process runs in its own process group so that stop, pause and kill
//! reach everything it started.

use super::jsonrpc::{self, FrameError, Incoming, RpcError};
use futures_util::StreamExt;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde::Serialize;
use serde_json::Value;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};

/// The longest line an agent may write; a longer one fails its session
/// instead of growing memory without bound.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// Parsed messages waiting for the actor; the agent blocks on its stdout
/// when the actor falls behind, so memory stays bounded.
const INCOMING_CAPACITY: usize = 1024;
const OUTGOING_CAPACITY: usize = 256;
const STDERR_TAIL_LINES: usize = 20;

/// How to start an agent: data, never a code path per agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Whether to advertise `fs/read_text_file` and `fs/write_text_file`.
    pub fs: bool,
    /// Names of the server's environment an admin passes to agents on
    /// purpose (`--agent-env`), besides what every program needs.
    pub passed: Vec<String>,
    /// Where the agent keeps its own state (`~/.claude`, say): writable
    /// inside its sandbox.
    pub state: Vec<PathBuf>,
}

impl LaunchSpec {
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug)]
pub enum AgentInput {
    Message(Incoming),
    /// A line that is not JSON-RPC: the agent broke the protocol.
    Invalid {
        excerpt: String,
        error: String,
    },
    /// stdout closed: the agent exited or closed it.
    Closed,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("could not start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("the agent's stdin is closed")]
    Closed,
    #[error("could not encode a message: {0}")]
    Encode(#[from] serde_json::Error),
}

pub struct AgentConnection {
    child: Child,
    pgid: Option<Pid>,
    writer: Option<mpsc::Sender<String>>,
    incoming: mpsc::Receiver<AgentInput>,
    next_id: u64,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Set once `shutdown` has reaped the process: its group id may be
    /// reused after that and must not be signalled.
    reaped: bool,
}

/// However a connection is dropped (a run that ended early, an actor that
/// panicked, a runtime shutting down), nothing of the agent's group lives on.
impl Drop for AgentConnection {
    fn drop(&mut self) {
        if !self.reaped {
            self.signal(Signal::SIGCONT);
            self.signal(Signal::SIGKILL);
        }
    }
}

impl AgentConnection {
    /// Starts the agent in `cwd` with an environment built from an
    /// allow-list (`agents::environment`) and the launch's own, never the
    /// rest of the server's.
    /// With a sandbox, the child takes it before it execs: the agent and
    /// everything it starts stay inside.
    pub fn spawn(
        launch: &LaunchSpec,
        cwd: &Path,
        sandbox: Option<&crate::sandbox::Prepared>,
    ) -> Result<AgentConnection, ConnectionError> {
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let parent = std::process::id();
        // SAFETY: between fork and exec only prctl and getppid run, both
        // async-signal-safe.
        unsafe {
            command.pre_exec(move || super::process_group::die_with_parent(parent));
        }
        if let Some(ruleset) = sandbox.map(crate::sandbox::Prepared::raw) {
            // SAFETY: prctl and one raw system call, both async-signal-safe.
            unsafe {
                command.pre_exec(move || crate::sandbox::Prepared::restrict_child(ruleset));
            }
        }
        command.env_clear();
        let server = std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        });
        for (name, value) in crate::agents::environment::inherited(server, &launch.passed) {
            command.env(name, value);
        }
        for (name, value) in &launch.env {
            command.env(name, value);
        }
        let mut child = command.spawn().map_err(|source| ConnectionError::Spawn {
            command: launch.command_line(),
            source,
        })?;
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);

        let (in_tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(read_stdout(stdout, in_tx));
        }
        let (writer, out_rx) = mpsc::channel(OUTGOING_CAPACITY);
        if let Some(stdin) = child.stdin.take() {
            tokio::spawn(write_stdin(stdin, out_rx));
        }
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(read_stderr(stderr, stderr_tail.clone()));
        }
        Ok(AgentConnection {
            child,
            pgid,
            writer: Some(writer),
            incoming,
            next_id: 0,
            stderr_tail,
            reaped: false,
        })
    }

    pub async fn recv(&mut self) -> AgentInput {
        self.incoming.recv().await.unwrap_or(AgentInput::Closed)
    }

    /// Everything already read, without waiting: lets the actor store a
    /// burst of events in one transaction.
    pub fn try_recv(&mut self) -> Option<AgentInput> {
        self.incoming.try_recv().ok()
    }

    /// Sends a request and returns its id; the answer arrives as an
    /// `Incoming::Response` with that id.
    pub async fn request<P: Serialize>(
        &mut self,
        method: &str,
        params: P,
    ) -> Result<u64, ConnectionError> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(jsonrpc::request(id, method, params)?).await?;
        Ok(id)
    }

    pub async fn notify<P: Serialize>(
        &mut self,
        method: &str,
        params: P,
    ) -> Result<(), ConnectionError> {
        self.send(jsonrpc::notification(method, params)?).await
    }

    pub async fn respond<R: Serialize>(
        &mut self,
        id: &Value,
        result: Result<R, RpcError>,
    ) -> Result<(), ConnectionError> {
        let line = match result {
            Ok(value) => jsonrpc::result(id, value)?,
            Err(error) => jsonrpc::error(id, &error)?,
        };
        self.send(line).await
    }

    async fn send(&mut self, line: String) -> Result<(), ConnectionError> {
        let writer = self.writer.as_ref().ok_or(ConnectionError::Closed)?;
        writer.send(line).await.map_err(|_| ConnectionError::Closed)
    }

    /// The last lines the agent wrote to stderr, for error reports.
    pub fn stderr_tail(&self) -> String {
        match self.stderr_tail.lock() {
            Ok(tail) => tail.iter().cloned().collect::<Vec<_>>().join("\n"),
            Err(_) => String::new(),
        }
    }

    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Why the agent is gone, for the session's reason: how it exited and
    /// the last line it wrote to stderr.
    pub fn exit_reason(&mut self, when: &str) -> String {
        let status = self
            .try_exit_status()
            .map(|status| match status.code() {
                Some(code) => format!(" with exit code {code}"),
                None => " on a signal".to_owned(),
            })
            .unwrap_or_default();
        let stderr = self.stderr_tail();
        let mut reason = format!("the agent exited{status} {when}");
        if !stderr.is_empty() {
            reason.push_str(": ");
            reason.push_str(stderr.lines().last().unwrap_or_default());
        }
        reason
    }

    /// Waits a little for the process to exit (after its stdout closed) and
    /// reports how it ended.
    pub async fn exit_status(&mut self, wait: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(wait, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// The agent's process group as the store records it, so a restart
    /// after a crash can end what it leaves.
    pub fn group(&self) -> Option<super::process_group::GroupId> {
        let pgid = self.pgid?.as_raw();
        Some(super::process_group::GroupId {
            pgid,
            start_ticks: super::process_group::start_ticks(pgid)?,
        })
    }

    /// Freezes or thaws the whole process group.
    pub fn signal(&self, signal: Signal) -> bool {
        match self.pgid {
            Some(pgid) => killpg(pgid, signal).is_ok(),
            None => false,
        }
    }

    /// Ends the agent: close stdin, give it `grace` to exit, then SIGTERM the
    /// process group, then SIGKILL. Some agents (codex-acp) do not exit when
    /// stdin closes, hence the escalation.
    pub async fn shutdown(mut self, grace: Duration) -> Option<ExitStatus> {
        self.writer = None;
        // A paused group must run again to see the end of its stdin.
        self.signal(Signal::SIGCONT);
        let mut status = tokio::time::timeout(grace, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok);
        if status.is_none() {
            self.signal(Signal::SIGTERM);
            status = tokio::time::timeout(Duration::from_secs(2), self.child.wait())
                .await
                .ok()
                .and_then(Result::ok);
        }
        // Whatever the agent left running in its group goes too.
        self.signal(Signal::SIGKILL);
        if status.is_none() {
            status = self.child.wait().await.ok();
        }
        self.reaped = true;
        status
    }
}

async fn read_stdout(stdout: tokio::process::ChildStdout, tx: mpsc::Sender<AgentInput>) {
    let mut lines = FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_LINE_BYTES));
    while let Some(line) = lines.next().await {
        let input = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match jsonrpc::parse(&line) {
                Ok(message) => AgentInput::Message(message),
                Err(error) => AgentInput::Invalid {
                    excerpt: excerpt(&line),
                    error: match error {
                        FrameError::NotJson(_) => "not JSON".to_owned(),
                        other => other.to_string(),
                    },
                },
            },
            Err(LinesCodecError::MaxLineLengthExceeded) => AgentInput::Invalid {
                excerpt: String::new(),
                error: format!("a line longer than {} MiB", MAX_LINE_BYTES / 1024 / 1024),
            },
            Err(LinesCodecError::Io(error)) => AgentInput::Invalid {
                excerpt: String::new(),
                error: format!("reading stdout failed: {error}"),
            },
        };
        if tx.send(input).await.is_err() {
            return;
        }
    }
    let _ = tx.send(AgentInput::Closed).await;
}

async fn write_stdin(mut stdin: tokio::process::ChildStdin, mut rx: mpsc::Receiver<String>) {
    while let Some(line) = rx.recv().await {
        let written = async {
            stdin.write_all(line.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        }
        .await;
        if let Err(error) = written {
            tracing::debug!(%error, "agent stdin closed");
            return;
        }
    }
}

async fn read_stderr(stderr: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(target: "tandem::agent_stderr", "{line}");
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(excerpt(&line));
        }
    }
}

/// The start of a line, for error messages.
pub fn excerpt(line: &str) -> String {
    // Kept in transcripts and errors: no NUL reaches the store.
    let line = &crate::text::scrubbed(line);
    const MAX: usize = 200;
    if line.len() <= MAX {
        return line.to_owned();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}
