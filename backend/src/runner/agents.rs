//! The agent processes a runner runs for its hub: started in their own
//! process group inside the sandbox, their stdout lines numbered into a
//! buffer on disk until the hub has stored them, their stdin written in the
//! hub's order, once each.

use super::buffer::LineBuffer;
use crate::acp::connection::{spawn_child, LaunchSpec, MAX_LINE_BYTES};
use futures_util::StreamExt;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::runner::{Held, RemoteLaunch, RemoteSignal};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, LinesCodec};

/// What the processes tell the runner's loop.
#[derive(Debug)]
pub enum Event {
    Line { process: String, text: String },
    Stderr { process: String, text: String },
    Exited { process: String, code: Option<i32> },
    Wrote { process: String, stdin: u64 },
}

struct Agent {
    pgid: Option<Pid>,
    buffer: LineBuffer,
    stdin: Option<mpsc::Sender<(u64, String)>>,
    /// The last stdin line queued for the agent.
    queued: u64,
    /// The last stdin line written to it.
    written: Arc<AtomicU64>,
    /// Bytes buffered and not yet taken: the stdout reader waits past the
    /// buffer's bound.
    pending: Arc<AtomicU64>,
    exited: Option<Option<i32>>,
    /// Its private temporary folder, removed with it.
    temp: PathBuf,
}

/// Every agent this runner runs, by the hub's process id.
pub struct Agents {
    dir: PathBuf,
    roots: Vec<PathBuf>,
    sandbox: crate::sandbox::Sandbox,
    /// Names of the runner's environment every agent also gets.
    passed: Vec<String>,
    data_dir: PathBuf,
    agents: HashMap<String, Agent>,
    events: mpsc::Sender<Event>,
}

impl Agents {
    pub fn new(
        data_dir: &Path,
        roots: Vec<PathBuf>,
        sandbox: crate::sandbox::Sandbox,
        passed: Vec<String>,
        events: mpsc::Sender<Event>,
    ) -> std::io::Result<Agents> {
        let dir = data_dir.join("lines");
        std::fs::create_dir_all(&dir)?;
        Ok(Agents {
            dir,
            roots,
            sandbox,
            passed,
            data_dir: data_dir.to_path_buf(),
            agents: HashMap::new(),
            events,
        })
    }

    /// What the runner holds, for its hello.
    pub fn held(&self) -> Vec<Held> {
        self.agents
            .iter()
            .map(|(process, agent)| Held {
                process: process.clone(),
                lines: agent.buffer.last_seq(),
                stdin: agent.written.load(Ordering::Acquire),
                queued: agent.queued,
                exited: agent.exited,
            })
            .collect()
    }

    pub fn holds(&self, process: &str) -> bool {
        self.agents.contains_key(process)
    }

    pub fn processes(&self) -> Vec<String> {
        self.agents.keys().cloned().collect()
    }

    /// Whether a workspace is below one of this runner's roots.
    fn serves(&self, cwd: &Path) -> bool {
        let Ok(cwd) = cwd.canonicalize() else {
            return false;
        };
        self.roots
            .iter()
            .filter_map(|root| root.canonicalize().ok())
            .any(|root| cwd.starts_with(root))
    }

    /// Starts an agent; the error is what the hub is told.
    pub fn start(&mut self, process: &str, launch: RemoteLaunch) -> Result<(), String> {
        if self.agents.contains_key(process) {
            return Err("a process with that id runs already".into());
        }
        let cwd = PathBuf::from(&launch.cwd);
        if !cwd.is_dir() {
            return Err(format!(
                "the workspace {} does not exist on this runner",
                launch.cwd
            ));
        }
        if !self.serves(&cwd) {
            return Err(format!(
                "the workspace {} is not below this runner's workspace roots",
                launch.cwd
            ));
        }
        let temp = crate::sandbox::private_temp(process)
            .map_err(|e| format!("could not make the agent's temporary folder: {e}"))?;
        let state: Vec<PathBuf> = launch.state.iter().map(PathBuf::from).collect();
        let mut env = launch.env.clone();
        env.push(("TMPDIR".into(), temp.display().to_string()));
        let spec = LaunchSpec {
            program: PathBuf::from(&launch.program),
            args: launch.args.clone(),
            env,
            fs: false,
            passed: self.passed.clone(),
            state: state.clone(),
        };
        let writable = [cwd.clone(), temp.clone()]
            .into_iter()
            .chain(state)
            .collect();
        let sandbox = self.sandbox.prepare(writable, &self.data_dir)?;
        let (mut child, pgid) =
            spawn_child(&spec, &cwd, sandbox.as_ref()).map_err(|e| e.to_string())?;
        drop(sandbox);
        let buffer = LineBuffer::create(&self.dir.join(format!("{process}.lines")))
            .map_err(|e| format!("could not keep the agent's lines: {e}"))?;
        let pending = Arc::new(AtomicU64::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let (stdin_tx, mut stdin_rx) = mpsc::channel::<(u64, String)>(256);
        if let Some(mut stdin) = child.stdin.take() {
            let written = written.clone();
            let events = self.events.clone();
            let process = process.to_owned();
            tokio::spawn(async move {
                while let Some((seq, line)) = stdin_rx.recv().await {
                    let done = async {
                        stdin.write_all(line.as_bytes()).await?;
                        stdin.write_all(b"\n").await?;
                        stdin.flush().await
                    }
                    .await;
                    if done.is_err() {
                        return;
                    }
                    written.store(seq, Ordering::Release);
                    let _ = events
                        .send(Event::Wrote {
                            process: process.clone(),
                            stdin: seq,
                        })
                        .await;
                }
            });
        }
        let (stdout_done, stdout_over) = tokio::sync::oneshot::channel::<()>();
        if let Some(stdout) = child.stdout.take() {
            let events = self.events.clone();
            let process = process.to_owned();
            let pending = pending.clone();
            tokio::spawn(async move {
                let _done = stdout_done;
                let mut lines =
                    FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_LINE_BYTES));
                while let Some(Ok(line)) = lines.next().await {
                    // Bounded: past the limit, the agent waits on its writes.
                    while pending.load(Ordering::Acquire) >= super::buffer::MAX_PENDING_BYTES {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    pending.fetch_add(line.len() as u64, Ordering::AcqRel);
                    let event = Event::Line {
                        process: process.clone(),
                        text: line,
                    };
                    if events.send(event).await.is_err() {
                        return;
                    }
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let events = self.events.clone();
            let process = process.to_owned();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(text)) = lines.next_line().await {
                    let _ = events
                        .send(Event::Stderr {
                            process: process.clone(),
                            text,
                        })
                        .await;
                }
            });
        }
        {
            // Its exit, after its stdout: the loop sees every line first.
            let events = self.events.clone();
            let process = process.to_owned();
            tokio::spawn(async move {
                // Every stdout line is on its way before the exit is.
                let _ = stdout_over.await;
                let code = child.wait().await.ok().and_then(|status| status.code());
                let _ = events.send(Event::Exited { process, code }).await;
            });
        }
        self.agents.insert(
            process.to_owned(),
            Agent {
                pgid,
                buffer,
                stdin: Some(stdin_tx),
                queued: 0,
                written,
                pending,
                exited: None,
                temp,
            },
        );
        Ok(())
    }

    /// A stdout line: numbered and kept. Returns its number.
    pub fn line(&mut self, process: &str, text: &str) -> Option<u64> {
        let agent = self.agents.get_mut(process)?;
        match agent.buffer.push(text) {
            Ok(seq) => Some(seq),
            Err(error) => {
                tracing::error!(%error, "could not keep an agent's line; ending it");
                signal_group(agent.pgid, Signal::SIGKILL);
                None
            }
        }
    }

    pub fn exited(&mut self, process: &str, code: Option<i32>) -> Option<u64> {
        let agent = self.agents.get_mut(process)?;
        agent.exited = Some(code);
        Some(agent.buffer.last_seq())
    }

    /// The hub stored lines through `seq`.
    pub fn took(&mut self, process: &str, seq: u64) {
        if let Some(agent) = self.agents.get_mut(process) {
            if agent.buffer.took(seq).is_ok() {
                agent
                    .pending
                    .store(agent.buffer.pending_bytes(), Ordering::Release);
            }
        }
    }

    /// Lines after `seq`, to send again.
    pub fn lines_after(&mut self, process: &str, seq: u64) -> Vec<(u64, String)> {
        self.agents
            .get_mut(process)
            .and_then(|agent| agent.buffer.after(seq).ok())
            .unwrap_or_default()
    }

    pub fn exit_of(&self, process: &str) -> Option<(u64, Option<i32>)> {
        let agent = self.agents.get(process)?;
        agent.exited.map(|code| (agent.buffer.last_seq(), code))
    }

    /// A stdin line from the hub: written once, in order.
    pub async fn stdin(&mut self, process: &str, seq: u64, text: String) {
        let Some(agent) = self.agents.get_mut(process) else {
            return;
        };
        if seq <= agent.queued {
            return;
        }
        agent.queued = seq;
        if let Some(stdin) = &agent.stdin {
            let _ = stdin.send((seq, text)).await;
        }
    }

    pub fn close_stdin(&mut self, process: &str) {
        if let Some(agent) = self.agents.get_mut(process) {
            agent.stdin = None;
        }
    }

    pub fn signal(&self, process: &str, signal: RemoteSignal) {
        if let Some(agent) = self.agents.get(process) {
            let signal = match signal {
                RemoteSignal::Stop => Signal::SIGSTOP,
                RemoteSignal::Continue => Signal::SIGCONT,
                RemoteSignal::Terminate => Signal::SIGTERM,
                RemoteSignal::Kill => Signal::SIGKILL,
            };
            signal_group(agent.pgid, signal);
        }
    }

    /// Ends the agent's whole group and forgets its lines.
    pub fn forget(&mut self, process: &str) {
        if let Some(agent) = self.agents.remove(process) {
            signal_group(agent.pgid, Signal::SIGCONT);
            signal_group(agent.pgid, Signal::SIGKILL);
            agent.buffer.remove();
            let _ = std::fs::remove_dir_all(&agent.temp);
        }
    }
}

fn signal_group(pgid: Option<Pid>, signal: Signal) {
    if let Some(pgid) = pgid {
        let _ = killpg(pgid, signal);
    }
}

impl Drop for Agents {
    /// A runner that stops takes its agents with it.
    fn drop(&mut self) {
        for process in self.processes() {
            self.forget(&process);
        }
    }
}
