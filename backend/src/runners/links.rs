//! The runners linked to this server, and the agent processes each runs
//! for it. A session's agent on a runner is, to its actor, an
//! `AgentConnection` like any other: lines in, lines out, signals, an exit.
//! Here those cross the runner's link, numbered, so a dropped link loses
//! nothing and doubles nothing; a runner gone longer than the timeout ends
//! its processes' runs as interrupted.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tandem_shared::runner::{HubFrame, RemoteLaunch, RemoteSignal, RunnerFrame, Wanted};
use tokio::sync::{mpsc, oneshot, watch};

/// Lines from a runner's agent waiting for the session; the link waits
/// when a session falls behind, so memory stays bounded.
const LINES_CAPACITY: usize = 1024;
const STDERR_TAIL_LINES: usize = 20;

/// What reaches a remote agent's connection.
#[derive(Debug)]
pub enum RemoteInput {
    /// A stdout line and its number.
    Line { seq: u64, text: String },
    /// The agent exited (its stdout is over).
    Exited,
    /// The runner is gone (or the process was never started): why.
    Lost(String),
}

/// The hub's end of one agent process on a runner.
pub struct Remote {
    pub process: String,
    pub runner_id: String,
    lines: mpsc::Sender<RemoteInput>,
    /// The last stdout line passed on.
    took: AtomicU64,
    stdin: Mutex<StdinQueue>,
    stderr: Mutex<VecDeque<String>>,
    exited: watch::Sender<Option<Option<i32>>>,
    started: Mutex<Option<oneshot::Sender<Result<(), String>>>>,
}

#[derive(Default)]
struct StdinQueue {
    next: u64,
    /// Sent but not yet written by the runner: sent again after a drop.
    unwritten: VecDeque<(u64, String)>,
}

impl Remote {
    pub fn stderr_tail(&self) -> String {
        lock(&self.stderr)
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn exit_code(&self) -> Option<Option<i32>> {
        *self.exited.borrow()
    }

    pub fn watch_exit(&self) -> watch::Receiver<Option<Option<i32>>> {
        self.exited.subscribe()
    }

    /// Stdin lines sent that the runner has not said it wrote.
    pub fn unwritten(&self) -> Vec<(u64, String)> {
        lock(&self.stdin).unwritten.iter().cloned().collect()
    }
}

struct Linked {
    generation: u64,
    out: mpsc::UnboundedSender<HubFrame>,
}

struct RunnerState {
    link: Option<Linked>,
    down_since: Option<Instant>,
    processes: HashMap<String, Arc<Remote>>,
    /// Its own `tandem`, for its agents' MCP server.
    tandem_exe: String,
    /// The hub's address as the runner reaches it.
    hub: String,
    agent_kinds: Vec<String>,
}

impl RunnerState {
    fn empty() -> RunnerState {
        RunnerState {
            link: None,
            down_since: None,
            processes: HashMap::new(),
            tandem_exe: String::new(),
            hub: String::new(),
            agent_kinds: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the runner `{0}` is not connected to this server")]
    NotLinked(String),
    #[error("the runner could not start the agent: {0}")]
    StartFailed(String),
    #[error("the runner did not say whether the agent started within {0} s")]
    NoAnswer(u64),
}

pub struct Links {
    runners: Mutex<HashMap<String, RunnerState>>,
    /// Told when a runner is revoked: its link closes at once.
    kicks: Mutex<HashMap<String, Arc<tokio::sync::Notify>>>,
    generations: AtomicU64,
    next_process: AtomicU64,
    /// How long a runner may be gone before its sessions end.
    pub timeout: Duration,
    /// On a database several servers share: stdin lines are kept there
    /// until written, for a server that takes a run over from a dead one.
    shared: Option<crate::store::Store>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a runner's hello is answered with, and what it must be sent again.
pub struct Attached {
    pub generation: u64,
    pub welcome: HubFrame,
    pub resend: Vec<HubFrame>,
}

impl Links {
    pub fn new(timeout: Duration) -> Links {
        Links {
            runners: Mutex::new(HashMap::new()),
            kicks: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(1),
            next_process: AtomicU64::new(1),
            timeout,
            shared: None,
        }
    }

    /// Stdin lines not yet written are kept in `store` too.
    pub fn sharing(mut self, store: crate::store::Store) -> Links {
        self.shared = Some(store);
        self
    }

    /// A runner said hello on a new link: it replaces any older link. The
    /// welcome names the processes still wanted and where each stands; the
    /// stdin lines the runner had not written yet go again.
    #[allow(clippy::too_many_arguments)]
    pub fn attach(
        &self,
        runner_id: &str,
        name: &str,
        tandem_exe: String,
        hub: String,
        agent_kinds: Vec<String>,
        held: &[tandem_shared::runner::Held],
        out: mpsc::UnboundedSender<HubFrame>,
    ) -> Attached {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let mut runners = lock(&self.runners);
        let state = runners
            .entry(runner_id.to_owned())
            .or_insert_with(RunnerState::empty);
        state.link = Some(Linked { generation, out });
        state.down_since = None;
        state.tandem_exe = tandem_exe;
        state.hub = hub;
        state.agent_kinds = agent_kinds;
        let mut wanted = Vec::new();
        let mut resend = Vec::new();
        for (process, remote) in &state.processes {
            wanted.push(Wanted {
                process: process.clone(),
                lines: remote.took.load(Ordering::Acquire),
            });
            let written = held
                .iter()
                .find(|h| &h.process == process)
                .map(|h| h.stdin)
                .unwrap_or(0);
            let mut stdin = lock(&remote.stdin);
            stdin.unwritten.retain(|(seq, _)| *seq > written);
            for (seq, text) in &stdin.unwritten {
                resend.push(HubFrame::Stdin {
                    process: process.clone(),
                    seq: *seq,
                    text: text.clone(),
                });
            }
        }
        Attached {
            generation,
            welcome: HubFrame::Welcome {
                runner: name.to_owned(),
                wanted,
            },
            resend,
        }
    }

    /// The link `generation` closed; a newer link (a reconnect that came
    /// first) is left alone.
    pub fn detach(&self, runner_id: &str, generation: u64) {
        let mut runners = lock(&self.runners);
        if let Some(state) = runners.get_mut(runner_id) {
            if state
                .link
                .as_ref()
                .is_some_and(|l| l.generation == generation)
            {
                state.link = None;
                state.down_since = Some(Instant::now());
            }
        }
    }

    /// What a runner's link waits on to close when it is revoked.
    pub fn kicked(&self, runner_id: &str) -> Arc<tokio::sync::Notify> {
        lock(&self.kicks)
            .entry(runner_id.to_owned())
            .or_default()
            .clone()
    }

    /// Revoked: the link closes now and its processes' runs end.
    pub fn revoke(&self, runner_id: &str) {
        if let Some(kick) = lock(&self.kicks).get(runner_id) {
            kick.notify_waiters();
        }
        let state = lock(&self.runners).remove(runner_id);
        if let Some(state) = state {
            for remote in state.processes.values() {
                let _ = remote
                    .lines
                    .try_send(RemoteInput::Lost("the runner was revoked".into()));
            }
        }
    }

    pub fn is_linked(&self, runner_id: &str) -> bool {
        lock(&self.runners)
            .get(runner_id)
            .is_some_and(|state| state.link.is_some())
    }

    /// The runner's own `tandem` program, while it is linked.
    pub fn tandem_exe(&self, runner_id: &str) -> Option<String> {
        lock(&self.runners)
            .get(runner_id)
            .filter(|state| state.link.is_some())
            .map(|state| state.tandem_exe.clone())
    }

    /// Where a runner's agents' MCP server calls this hub.
    pub fn hub_url(&self, runner_id: &str) -> Option<String> {
        lock(&self.runners)
            .get(runner_id)
            .map(|state| state.hub.clone())
            .filter(|hub| !hub.is_empty())
    }

    pub fn agent_kinds(&self, runner_id: &str) -> Vec<String> {
        lock(&self.runners)
            .get(runner_id)
            .map(|state| state.agent_kinds.clone())
            .unwrap_or_default()
    }

    fn send(&self, runner_id: &str, frame: HubFrame) -> bool {
        let runners = lock(&self.runners);
        match runners.get(runner_id).and_then(|state| state.link.as_ref()) {
            Some(link) => link.out.send(frame).is_ok(),
            None => false,
        }
    }

    /// Asks the runner to start an agent; returns once it has (or said why
    /// not), with the end its lines arrive at.
    pub async fn start(
        &self,
        runner_id: &str,
        launch: RemoteLaunch,
        wait: Duration,
    ) -> Result<(Arc<Remote>, mpsc::Receiver<RemoteInput>), LinkError> {
        let process = format!(
            "prc_{}_{}",
            self.next_process.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let (lines, received) = mpsc::channel(LINES_CAPACITY);
        let (started_tx, started) = oneshot::channel();
        let remote = Arc::new(Remote {
            process: process.clone(),
            runner_id: runner_id.to_owned(),
            lines,
            took: AtomicU64::new(0),
            stdin: Mutex::new(StdinQueue::default()),
            stderr: Mutex::new(VecDeque::new()),
            exited: watch::channel(None).0,
            started: Mutex::new(Some(started_tx)),
        });
        {
            let mut runners = lock(&self.runners);
            let Some(state) = runners.get_mut(runner_id).filter(|s| s.link.is_some()) else {
                return Err(LinkError::NotLinked(runner_id.to_owned()));
            };
            state.processes.insert(process.clone(), remote.clone());
        }
        let sent = self.send(
            runner_id,
            HubFrame::Start {
                process: process.clone(),
                launch,
            },
        );
        let answer = if sent {
            tokio::time::timeout(wait, started).await
        } else {
            Ok(Ok(Err("the link dropped".to_owned())))
        };
        let failed = match answer {
            Ok(Ok(Ok(()))) => return Ok((remote, received)),
            Ok(Ok(Err(error))) => LinkError::StartFailed(error),
            Ok(Err(_)) => LinkError::StartFailed("the runner went away".into()),
            Err(_) => LinkError::NoAnswer(wait.as_secs()),
        };
        self.forget(&remote);
        Err(failed)
    }

    /// Like `stdin`, and on a shared database kept in the store until the
    /// runner wrote it.
    pub async fn stdin_kept(&self, remote: &Remote, text: String) {
        let Some(store) = &self.shared else {
            self.stdin(remote, text);
            return;
        };
        let kept = text.clone();
        let seq = self.stdin(remote, text);
        if let Err(error) = store.add_remote_stdin(&remote.process, seq, &kept).await {
            tracing::warn!(%error, "could not keep a runner's stdin line");
        }
    }

    /// A stdin line for the agent: numbered, kept until the runner says it
    /// wrote it, sent now if the link is up (else when it is back).
    /// Returns its number.
    pub fn stdin(&self, remote: &Remote, text: String) -> u64 {
        let seq = {
            let mut stdin = lock(&remote.stdin);
            stdin.next += 1;
            let seq = stdin.next;
            stdin.unwritten.push_back((seq, text.clone()));
            seq
        };
        self.send(
            &remote.runner_id,
            HubFrame::Stdin {
                process: remote.process.clone(),
                seq,
                text,
            },
        );
        seq
    }

    /// The agent's lines through `lines` are stored: the runner may forget
    /// them.
    pub fn stored(&self, remote: &Remote, lines: u64) -> bool {
        self.send(
            &remote.runner_id,
            HubFrame::Took {
                process: remote.process.clone(),
                lines,
            },
        )
    }

    /// A process this server takes over from another (which died, or lost
    /// the runner's link): registered before the runner's welcome, so the
    /// welcome wants it from the line after those stored, and this
    /// server's stdin lines follow those the runner has.
    pub fn expect(
        &self,
        runner_id: &str,
        process: &str,
        stored: u64,
        queued: u64,
    ) -> (Arc<Remote>, mpsc::Receiver<RemoteInput>) {
        let (lines, received) = mpsc::channel(LINES_CAPACITY);
        let remote = Arc::new(Remote {
            process: process.to_owned(),
            runner_id: runner_id.to_owned(),
            lines,
            took: AtomicU64::new(stored),
            stdin: Mutex::new(StdinQueue {
                next: queued,
                unwritten: VecDeque::new(),
            }),
            stderr: Mutex::new(VecDeque::new()),
            exited: watch::channel(None).0,
            started: Mutex::new(None),
        });
        lock(&self.runners)
            .entry(runner_id.to_owned())
            .or_insert_with(RunnerState::empty)
            .processes
            .insert(process.to_owned(), remote.clone());
        (remote, received)
    }

    /// Lets go of a process without ending it: another server takes it
    /// over.
    pub fn release(&self, remote: &Remote) {
        if let Some(state) = lock(&self.runners).get_mut(&remote.runner_id) {
            state.processes.remove(&remote.process);
        }
    }

    pub fn close_stdin(&self, remote: &Remote) -> bool {
        self.send(
            &remote.runner_id,
            HubFrame::CloseStdin {
                process: remote.process.clone(),
            },
        )
    }

    pub fn signal(&self, remote: &Remote, signal: RemoteSignal) -> bool {
        self.send(
            &remote.runner_id,
            HubFrame::Signal {
                process: remote.process.clone(),
                signal,
            },
        )
    }

    /// The hub is done with the process: the runner ends it and forgets
    /// its lines (told now, or by its absence from the next welcome).
    pub fn forget(&self, remote: &Remote) {
        let mut runners = lock(&self.runners);
        if let Some(state) = runners.get_mut(&remote.runner_id) {
            state.processes.remove(&remote.process);
            if let Some(link) = &state.link {
                let _ = link.out.send(HubFrame::Forget {
                    process: remote.process.clone(),
                });
            }
        }
    }

    /// Whether this server speaks to the process.
    pub fn holds(&self, runner_id: &str, process: &str) -> bool {
        self.remote(runner_id, process).is_some()
    }

    fn remote(&self, runner_id: &str, process: &str) -> Option<Arc<Remote>> {
        lock(&self.runners)
            .get(runner_id)
            .and_then(|state| state.processes.get(process).cloned())
    }

    /// A frame from the runner. Returns frames to answer with (the lines
    /// it took), or an error that closes the link (it reconnects and sends
    /// again from what the hub took).
    pub async fn on_frame(
        &self,
        runner_id: &str,
        frame: RunnerFrame,
    ) -> Result<Vec<HubFrame>, String> {
        match frame {
            RunnerFrame::Hello { .. } => Err("a second hello on one link".into()),
            RunnerFrame::Started { process } => {
                if let Some(remote) = self.remote(runner_id, &process) {
                    if let Some(started) = lock(&remote.started).take() {
                        let _ = started.send(Ok(()));
                    }
                }
                Ok(Vec::new())
            }
            RunnerFrame::StartFailed { process, error } => {
                if let Some(remote) = self.remote(runner_id, &process) {
                    if let Some(started) = lock(&remote.started).take() {
                        let _ = started.send(Err(error));
                    }
                }
                Ok(Vec::new())
            }
            RunnerFrame::Line { process, seq, text } => {
                let Some(remote) = self.remote(runner_id, &process) else {
                    // A process the hub let go: the runner is told again.
                    return Ok(vec![HubFrame::Forget { process }]);
                };
                let took = remote.took.load(Ordering::Acquire);
                if seq <= took {
                    return Ok(Vec::new());
                }
                if seq != took + 1 {
                    return Err(format!("line {seq} of {process} came after line {took}"));
                }
                if remote
                    .lines
                    .send(RemoteInput::Line { seq, text })
                    .await
                    .is_err()
                {
                    return Ok(vec![HubFrame::Forget { process }]);
                }
                // Passed on; the runner forgets it once it is stored
                // (`stored`), so a server that dies first loses nothing.
                remote.took.store(seq, Ordering::Release);
                Ok(Vec::new())
            }
            RunnerFrame::Stderr { process, text } => {
                if let Some(remote) = self.remote(runner_id, &process) {
                    let mut tail = lock(&remote.stderr);
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(crate::text::excerpt(&text));
                }
                Ok(Vec::new())
            }
            RunnerFrame::Exited {
                process,
                lines,
                code,
            } => {
                if let Some(remote) = self.remote(runner_id, &process) {
                    // Only once every line before the exit is through.
                    if remote.took.load(Ordering::Acquire) >= lines {
                        let _ = remote.exited.send(Some(code));
                        let _ = remote.lines.try_send(RemoteInput::Exited);
                    }
                }
                Ok(Vec::new())
            }
            RunnerFrame::Wrote { process, stdin } => {
                if let Some(remote) = self.remote(runner_id, &process) {
                    let kept = {
                        let mut queue = lock(&remote.stdin);
                        let before = queue.unwritten.len();
                        queue.unwritten.retain(|(seq, _)| *seq > stdin);
                        before != queue.unwritten.len()
                    };
                    if let (true, Some(store)) = (kept, &self.shared) {
                        if let Err(error) = store.remote_stdin_written(&process, stdin).await {
                            tracing::warn!(%error, "could not forget a runner's written stdin");
                        }
                    }
                }
                Ok(Vec::new())
            }
        }
    }

    /// Runners gone longer than the timeout: their processes' runs end as
    /// interrupted, with the reason. Returns how many processes ended.
    pub fn expire(&self) -> usize {
        let mut ended = 0;
        let mut runners = lock(&self.runners);
        for state in runners.values_mut() {
            let gone = state
                .down_since
                .is_some_and(|since| since.elapsed() >= self.timeout);
            if !gone {
                continue;
            }
            for (_, remote) in state.processes.drain() {
                let _ = remote.lines.try_send(RemoteInput::Lost(format!(
                    "the runner was out of reach for more than {} s",
                    self.timeout.as_secs()
                )));
                ended += 1;
            }
        }
        ended
    }
}
