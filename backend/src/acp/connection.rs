//! An agent process and its stdio: a reader task turning stdout lines into
//! messages, a writer task, and a tail of stderr for error reports.
//!
//! The process runs in its own process group so that stop, pause and kill
//! reach everything it started.

use super::jsonrpc::{self, FrameError, Incoming, RpcError};
pub use crate::text::excerpt;
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
    /// The agent runs on a runner that went out of reach: why.
    Lost(String),
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

/// Where the agent process runs.
enum Host {
    /// A child of this server, in its own process group.
    Local {
        child: Child,
        pgid: Option<Pid>,
        stderr_tail: Arc<Mutex<VecDeque<String>>>,
    },
    /// On a runner, through its link.
    Remote {
        remote: Arc<crate::runners::links::Remote>,
        links: Arc<crate::runners::links::Links>,
    },
}

/// Where the agent's messages are read from.
enum Reading {
    /// Parsed by the reader task of a child's stdout.
    Local(mpsc::Receiver<AgentInput>),
    /// A runner's numbered lines, parsed as they are taken, so the run
    /// knows which lines its stored events came from.
    Remote {
        lines: mpsc::Receiver<crate::runners::links::RemoteInput>,
        read: u64,
        ended: bool,
    },
}

pub struct AgentConnection {
    host: Host,
    writer: Option<mpsc::Sender<String>>,
    incoming: Reading,
    next_id: u64,
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
            if let Host::Remote { remote, links } = &self.host {
                links.forget(remote);
            }
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
        let (mut child, pgid) = spawn_child(launch, cwd, sandbox)?;
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
            host: Host::Local {
                child,
                pgid,
                stderr_tail,
            },
            writer: Some(writer),
            incoming: Reading::Local(incoming),
            next_id: 0,
            reaped: false,
        })
    }

    /// The agent a runner started: its lines arrive through the runner's
    /// link and are read here as a child's stdout would be.
    pub fn remote(
        remote: Arc<crate::runners::links::Remote>,
        lines: mpsc::Receiver<crate::runners::links::RemoteInput>,
        links: Arc<crate::runners::links::Links>,
    ) -> AgentConnection {
        // Lines go straight to the link (`send`); the channel only says,
        // by closing, that stdin is over.
        let (writer, mut out_rx) = mpsc::channel::<String>(1);
        {
            let remote = remote.clone();
            let links = links.clone();
            tokio::spawn(async move {
                while out_rx.recv().await.is_some() {}
                // Not for a run let go of: the agent goes on elsewhere.
                if links.holds(&remote.runner_id, &remote.process) {
                    links.close_stdin(&remote);
                }
            });
        }
        AgentConnection {
            host: Host::Remote { remote, links },
            writer: Some(writer),
            incoming: Reading::Remote {
                lines,
                read: 0,
                ended: false,
            },
            next_id: 0,
            reaped: false,
        }
    }

    /// A runner's agent this server takes over mid-run: its request ids
    /// continue after every line the agent may have read (each request is
    /// one line), and lines come from the one after those stored.
    pub fn adopted(
        remote: Arc<crate::runners::links::Remote>,
        lines: mpsc::Receiver<crate::runners::links::RemoteInput>,
        links: Arc<crate::runners::links::Links>,
        stored: u64,
        stdin_lines: u64,
    ) -> AgentConnection {
        let mut conn = AgentConnection::remote(remote, lines, links);
        conn.next_id = stdin_lines + 1;
        if let Reading::Remote { read, .. } = &mut conn.incoming {
            *read = stored;
        }
        conn
    }

    pub async fn recv(&mut self) -> AgentInput {
        match &mut self.incoming {
            Reading::Local(incoming) => incoming.recv().await.unwrap_or(AgentInput::Closed),
            Reading::Remote { lines, read, ended } => loop {
                if *ended {
                    return AgentInput::Closed;
                }
                let input = lines.recv().await;
                if let Some(input) = remote_input(input, read, ended) {
                    return input;
                }
            },
        }
    }

    /// Everything already read, without waiting: lets the actor store a
    /// burst of events in one transaction.
    pub fn try_recv(&mut self) -> Option<AgentInput> {
        match &mut self.incoming {
            Reading::Local(incoming) => incoming.try_recv().ok(),
            Reading::Remote { lines, read, ended } => loop {
                if *ended {
                    return None;
                }
                let input = lines.try_recv().ok()?;
                if let Some(input) = remote_input(Some(input), read, ended) {
                    return Some(input);
                }
            },
        }
    }

    /// For an agent on a runner: its process and the last of its lines
    /// read so far.
    pub fn remote_lines(&self) -> Option<(&str, u64)> {
        match (&self.host, &self.incoming) {
            (Host::Remote { remote, .. }, Reading::Remote { read, .. }) => {
                Some((remote.process.as_str(), *read))
            }
            _ => None,
        }
    }

    /// The agent's lines through `lines` are stored: its runner may forget
    /// them.
    pub fn stored(&self, lines: u64) {
        if let Host::Remote { remote, links } = &self.host {
            links.stored(remote, lines);
        }
    }

    /// The runner a runner's agent runs on.
    pub fn runner_id(&self) -> Option<&str> {
        match &self.host {
            Host::Remote { remote, .. } => Some(remote.runner_id.as_str()),
            Host::Local { .. } => None,
        }
    }

    /// Stdin lines sent to a runner's agent that its runner has not said it
    /// received, numbered.
    pub fn unwritten(&self) -> Vec<(u64, String)> {
        match &self.host {
            Host::Remote { remote, .. } => remote.unwritten(),
            Host::Local { .. } => Vec::new(),
        }
    }

    /// Lets go of a runner's agent without ending it: another server takes
    /// the run over.
    pub fn release(mut self) {
        if let Host::Remote { remote, links } = &self.host {
            links.release(remote);
        }
        self.writer = None;
        self.reaped = true;
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
        if let Host::Remote { remote, links } = &self.host {
            // Numbered and kept before the run goes on: an answer a person
            // was told is given survives this server.
            links.stdin_kept(remote, line).await;
            return Ok(());
        }
        writer.send(line).await.map_err(|_| ConnectionError::Closed)
    }

    /// The agent runs on a runner whose link is down now.
    pub fn out_of_reach(&self) -> bool {
        match &self.host {
            Host::Local { .. } => false,
            Host::Remote { remote, links } => !links.is_linked(&remote.runner_id),
        }
    }

    /// The last lines the agent wrote to stderr, for error reports.
    pub fn stderr_tail(&self) -> String {
        match &self.host {
            Host::Local { stderr_tail, .. } => match stderr_tail.lock() {
                Ok(tail) => tail.iter().cloned().collect::<Vec<_>>().join("\n"),
                Err(_) => String::new(),
            },
            Host::Remote { remote, .. } => remote.stderr_tail(),
        }
    }

    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        match &mut self.host {
            Host::Local { child, .. } => child.try_wait().ok().flatten(),
            Host::Remote { remote, .. } => remote.exit_code().map(status_of),
        }
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
        match &mut self.host {
            Host::Local { child, .. } => tokio::time::timeout(wait, child.wait())
                .await
                .ok()
                .and_then(Result::ok),
            Host::Remote { remote, .. } => {
                let mut exit = remote.watch_exit();
                tokio::time::timeout(wait, exit.wait_for(Option::is_some))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .and_then(|code| code.map(status_of))
            }
        }
    }

    /// The agent's process group as the store records it, so a restart
    /// after a crash can end what it leaves (a runner's are its own).
    pub fn group(&self) -> Option<super::process_group::GroupId> {
        let Host::Local { pgid, .. } = &self.host else {
            return None;
        };
        let pgid = (*pgid)?.as_raw();
        Some(super::process_group::GroupId {
            pgid,
            start_ticks: super::process_group::start_ticks(pgid)?,
        })
    }

    /// Freezes or thaws the whole process group.
    pub fn signal(&self, signal: Signal) -> bool {
        match &self.host {
            Host::Local {
                pgid: Some(pgid), ..
            } => killpg(*pgid, signal).is_ok(),
            Host::Local { pgid: None, .. } => false,
            Host::Remote { remote, links } => {
                use tandem_shared::runner::RemoteSignal;
                let remote_signal = match signal {
                    Signal::SIGSTOP => RemoteSignal::Stop,
                    Signal::SIGCONT => RemoteSignal::Continue,
                    Signal::SIGTERM => RemoteSignal::Terminate,
                    _ => RemoteSignal::Kill,
                };
                links.signal(remote, remote_signal)
            }
        }
    }

    /// Ends the agent: close stdin, give it `grace` to exit, then SIGTERM the
    /// process group, then SIGKILL. Some agents (codex-acp) do not exit when
    /// stdin closes, hence the escalation.
    pub async fn shutdown(mut self, grace: Duration) -> Option<ExitStatus> {
        self.writer = None;
        // A paused group must run again to see the end of its stdin.
        self.signal(Signal::SIGCONT);
        let mut status = self.exit_status(grace).await;
        if status.is_none() {
            self.signal(Signal::SIGTERM);
            status = self.exit_status(Duration::from_secs(2)).await;
        }
        // Whatever the agent left running in its group goes too.
        self.signal(Signal::SIGKILL);
        match &mut self.host {
            Host::Local { child, .. } => {
                if status.is_none() {
                    status = child.wait().await.ok();
                }
            }
            Host::Remote { remote, links } => links.forget(remote),
        }
        self.reaped = true;
        status
    }
}

/// A runner's exit code as this machine's exit status.
fn status_of(code: Option<i32>) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match code {
        Some(code) => ExitStatus::from_raw((code & 0xff) << 8),
        // Ended by a signal (which the runner does not name): SIGKILL's.
        None => ExitStatus::from_raw(9),
    }
}

/// A runner's agent line, read as a child's stdout is (none for a blank
/// line); counts the lines read and notes the end.
fn remote_input(
    input: Option<crate::runners::links::RemoteInput>,
    read: &mut u64,
    ended: &mut bool,
) -> Option<AgentInput> {
    use crate::runners::links::RemoteInput;
    let input = match input {
        // Stored already (by the server this run was taken over from).
        Some(RemoteInput::Line { seq, .. }) if seq <= *read => return None,
        Some(RemoteInput::Line { seq, text }) => {
            *read = seq;
            if text.trim().is_empty() {
                return None;
            }
            return Some(parsed(&text));
        }
        Some(RemoteInput::Exited) | None => AgentInput::Closed,
        Some(RemoteInput::Lost(reason)) => AgentInput::Lost(reason),
    };
    *ended = true;
    Some(input)
}

/// One stdout line as the actor reads it.
fn parsed(line: &str) -> AgentInput {
    match jsonrpc::parse(line) {
        Ok(message) => AgentInput::Message(message),
        Err(error) => AgentInput::Invalid {
            excerpt: excerpt(line),
            error: match error {
                FrameError::NotJson(_) => "not JSON".to_owned(),
                other => other.to_string(),
            },
        },
    }
}

/// Starts an agent in `cwd`, in its own process group, dying with its
/// parent, inside the sandbox when there is one, with an environment built
/// from an allow-list (`agents::environment`) and the launch's own, never
/// the rest of this process's. Its stdio is piped. Used for the server's
/// own agents and a runner's alike.
pub fn spawn_child(
    launch: &LaunchSpec,
    cwd: &Path,
    sandbox: Option<&crate::sandbox::Prepared>,
) -> Result<(Child, Option<Pid>), ConnectionError> {
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
    let server = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
    for (name, value) in crate::agents::environment::inherited(server, &launch.passed) {
        command.env(name, value);
    }
    for (name, value) in &launch.env {
        command.env(name, value);
    }
    let child = command.spawn().map_err(|source| ConnectionError::Spawn {
        command: launch.command_line(),
        source,
    })?;
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    Ok((child, pgid))
}

async fn read_stdout(stdout: tokio::process::ChildStdout, tx: mpsc::Sender<AgentInput>) {
    let mut lines = FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_LINE_BYTES));
    while let Some(line) = lines.next().await {
        let input = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => parsed(&line),
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
