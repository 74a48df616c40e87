//! One run of the agent for a session: its process, the requests Tandem
//! makes of it, everything it sends meanwhile, and the commands people send
//! while it runs (follow-ups, decisions, pause, stop). A run ends when the
//! queue of messages is empty, or with the reason it could not go on.
//!
//! Starting the agent's session (initialize, warm load or cold new) is in
//! `handshake.rs`; the permission requests are in `permissions.rs`; what
//! people do meanwhile (follow-ups, decisions, pause, stop) is in
//! `stepping_in.rs`.
//! The turns themselves (one queued message each) are in `turns.rs`.

use super::client_fs;
use super::ending::Ending;
use super::live::LiveSession;
use super::permissions::{Asked, Permissions};
use super::replay::{ReplayFilter, Verdict};
use crate::acp::connection::{AgentConnection, AgentInput};
use crate::acp::inbound;
use crate::acp::jsonrpc::{Incoming, RpcError};
use crate::acp::schema as acp;
use crate::agent_tools::{mcp_server, Grant};
use crate::store::AgentProcess;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use tandem_shared::agent_state::{ChangedBy, Setting};
use tandem_shared::{EventBody, SessionStatus};
use tokio::time::Instant;

/// Agent lines handled before the staged events are stored, so a burst is
/// written in one transaction.
const DRAIN_BATCH: usize = 256;

/// What the run is waiting for while it pumps messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// `initialize` / `session/new`: commands queue, stop ends at once.
    Handshake,
    /// `session/load`: the agent replays history we already hold; ignore it.
    Loading,
    /// `session/prompt` is open.
    Turn,
}

/// What one message from the agent, or one command, means for the request
/// the run is waiting on.
pub(super) enum Step {
    /// Nothing yet: keep pumping.
    Continue,
    /// The awaited request was answered, or refused with this error.
    Answer(Result<Value, RpcError>),
    /// The run cannot go on.
    End(Ending),
}

/// A stop under way: the agent was told to cancel and has until `until` to
/// end its turn; then the run ends with `ending` either way.
pub(super) struct Stopping {
    pub(super) ending: Ending,
    pub(super) until: Instant,
}

pub(super) struct AgentRun<'s> {
    pub(super) session: &'s mut LiveSession,
    pub(super) conn: AgentConnection,
    pub(super) workspace: PathBuf,
    pub(super) permissions: Permissions,
    /// Set while paused: the status to go back to on resume.
    pub(super) paused: Option<SessionStatus>,
    pub(super) stopping: Option<Stopping>,
    /// Tandem began to shut down and this run was told so.
    shutdown_seen: bool,
    /// A person interrupted the current turn (its `cancelled` is theirs).
    pub(super) interrupted: bool,
    /// A `session/cancel` went out since the last prompt: the next prompt
    /// may meet an agent that ends it at once (Claude's adapter).
    pub(super) after_cancel: bool,
    /// Messages from the agent since the current prompt went out.
    pub(super) heard: usize,
    /// After a warm load: tells the agent's replay of history from new work.
    pub(super) replay: Option<ReplayFilter>,
    /// Tandem's MCP server for this run, with its token.
    pub(super) mcp_servers: Vec<acp::McpServer>,
    /// The context block the next prompt carries (after a cold start).
    pub(super) context_for_next_prompt: Option<String>,
    /// The agent's session, once open.
    pub(super) agent_session: Option<String>,
    /// Requests of members' choices sent mid-run, by id, awaiting answers.
    pub(super) side_requests: HashMap<Value, (Setting, ChangedBy)>,
    /// The agent's running cost as last reported (see `spending.rs`).
    pub(super) running_cost: tandem_shared::spend::RunningCost,
    /// Who sent the message the current turn answers.
    pub(super) turn_by: Option<String>,
    /// Something was spent since the budgets were last checked.
    pub(super) spent_since_check: bool,
    /// An admin resumed the run past a reached budget.
    pub(super) past_budget: bool,
    /// A runner's agent: the last of its lines stored (see `run_record.rs`).
    pub(super) stored_lines: u64,
}

impl<'s> AgentRun<'s> {
    /// Starts the agent, opens its session, and runs turns until the queue
    /// is empty or the run cannot go on. The run ends when the agent's turn
    /// does: the process is ended afterwards, out of the session's way (a
    /// message arriving meanwhile starts the next run at once).
    pub(super) async fn execute(session: &'s mut LiveSession) -> Ending {
        // A run taken over is under way already: its status stays.
        if session.adopted.is_none() {
            session.log.set_status(SessionStatus::Starting, None);
            if let Err(ending) = session.log.flush().await {
                return ending;
            }
        }
        let runner = match session
            .ctx
            .store
            .assistant_runner(&session.assistant.id)
            .await
        {
            Ok(runner) => runner,
            Err(error) => {
                return Ending::failed(format!("could not read where the agent runs: {error}"))
            }
        };
        // A runner's agent this server takes over mid-run, or a new one.
        let (started, adoption) = match session.adopted.take() {
            Some(adopted) => {
                let (started, adoption) = start_adopted(session, adopted);
                (Ok(started), Some(adoption))
            }
            None => match runner {
                Some(runner_id) => (start_on_runner(session, &runner_id).await, None),
                None => (start_here(session).await, None),
            },
        };
        let adopted_token = adoption.as_ref().and_then(|a| a.token_hash.clone());
        let Started {
            conn,
            workspace,
            worktree,
            temp,
            group,
            mcp_exe,
            mcp_url,
        } = match started {
            Ok(started) => started,
            Err(ending) => return ending,
        };
        let ctx = session.ctx.clone();
        let token = match &adopted_token {
            Some(hash) => ctx.tool_tokens.adopt(hash.clone()),
            None => {
                let grant = Grant {
                    session_id: session.log.summary.id.clone(),
                    assistant_id: session.assistant.id.clone(),
                };
                ctx.tool_tokens
                    .issue_for_run(grant, ctx.clock.now_ms())
                    .await
            }
        };
        let mut run = AgentRun {
            permissions: Permissions::new(ctx.clone(), session.assistant.id.clone())
                .through(worktree.map(|w| w.rules)),
            mcp_servers: tandem_mcp_server(mcp_exe, mcp_url, token.secret()),
            session,
            conn,
            workspace,
            paused: None,
            stopping: None,
            shutdown_seen: false,
            interrupted: false,
            after_cancel: false,
            heard: 0,
            replay: None,
            context_for_next_prompt: None,
            agent_session: None,
            side_requests: HashMap::new(),
            running_cost: Default::default(),
            turn_by: None,
            spent_since_check: false,
            past_budget: false,
            stored_lines: 0,
        };
        let ending = match adoption {
            Some(adoption) => run.take_over(adoption).await,
            None => {
                run.record_remote_run(token.hash()).await;
                match run.open_agent_session().await {
                    Ok(agent_session) => {
                        run.agent_session = Some(agent_session.clone());
                        run.remote_agent_session(&agent_session).await;
                        run.turns(&agent_session).await
                    }
                    Err(ending) => ending,
                }
            }
        };
        if ending.is_handed_over() {
            // Another server speaks to the agent now: nothing here ends it.
            token.hand_over();
            let AgentRun { conn, .. } = run;
            conn.release();
            return ending;
        }
        drop(token);
        run.forget_remote_run().await;
        // Whatever the agent left open, it will not finish now.
        run.session.log.close_open_tool_calls();
        let reason = ending
            .reason
            .clone()
            .unwrap_or_else(|| "the turn ended".to_owned());
        run.permissions
            .settle_all(&mut run.session.log, Some(&mut run.conn), &reason)
            .await;
        let grace = if ending.is_shutdown() {
            ctx.config.exit_grace.min(SHUTDOWN_EXIT_GRACE)
        } else {
            ctx.config.exit_grace
        };
        let AgentRun { conn, .. } = run;
        // Tracked: Tandem's own shutdown waits for it.
        ctx.clone().shutdown.spawn(async move {
            let status = conn.shutdown(grace).await;
            tracing::debug!(?status, "agent exited");
            if let Some(temp) = temp {
                let _ = tokio::fs::remove_dir_all(&temp).await;
            }
            if let Some(group) = group {
                if let Err(error) = ctx.store.forget_agent_process(i64::from(group.pgid)).await {
                    tracing::error!(%error, "could not forget an ended agent process group");
                }
            }
        });
        ending
    }

    /// Sends a request and handles everything else that arrives until its
    /// answer does; an error answer ends the run.
    pub(super) async fn call<P: serde::Serialize>(
        &mut self,
        method: &str,
        params: P,
        phase: Phase,
        deadline: Option<Instant>,
    ) -> Result<Value, Ending> {
        self.exchange(method, params, phase, deadline)
            .await?
            .map_err(|error| {
                Ending::failed(format!(
                    "the agent answered {method} with an error: {error}"
                ))
            })
    }

    /// Like `call`, but an error answer is returned, as its message, for
    /// requests a run survives (a mode switch the agent refuses).
    pub(super) async fn exchange<P: serde::Serialize>(
        &mut self,
        method: &str,
        params: P,
        phase: Phase,
        deadline: Option<Instant>,
    ) -> Result<Result<Value, RpcError>, Ending> {
        let Ok(id) = self.conn.request(method, params).await else {
            return Err(Ending::failed(
                self.conn.exit_reason("before it was asked anything"),
            ));
        };
        let id = Value::from(id);
        if method == "session/prompt" {
            self.remote_prompt(Some(&id)).await;
        }
        self.await_answer(id, method, phase, deadline).await
    }

    /// Handles everything that arrives until the answer to request `id`
    /// does (sent by this run, or by the server this run took over from).
    pub(super) async fn await_answer(
        &mut self,
        id: Value,
        method: &str,
        phase: Phase,
        deadline: Option<Instant>,
    ) -> Result<Result<Value, RpcError>, Ending> {
        let config = self.session.ctx.config.clone();
        let shutdown = self.session.ctx.shutdown.clone();
        // The watchdog: a turn with no word from the agent for this long,
        // while nobody is being asked anything, is hung.
        let mut last_activity = Instant::now();
        loop {
            // Nor while a person has paused it.
            let hang_at =
                (phase == Phase::Turn && self.permissions.is_empty() && self.paused.is_none())
                    .then(|| last_activity + config.hang_timeout);
            let stop_at = self.stopping.as_ref().map(|stopping| stopping.until);
            let wake_at = [deadline, stop_at, hang_at].into_iter().flatten().min();
            let timer = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            // Whether this step heard from the agent or a person: the
            // watchdog then counts from when Tandem was done with it, so
            // time Tandem spends storing is never the agent's silence.
            let mut heard = false;
            let step = tokio::select! {
                input = self.conn.recv() => {
                    heard = true;
                    self.on_inputs(input, &id, phase).await
                }
                command = self.session.mailbox.recv() => match command {
                    Some(command) => {
                        // An answer from a person restarts the watchdog.
                        heard = true;
                        self.on_command(command, phase).await
                    }
                    None => Step::Continue,
                },
                _ = shutdown.begun(), if !self.shutdown_seen => {
                    self.shutdown_seen = true;
                    self.begin_stop(Ending::shut_down(), phase, SHUTDOWN_CANCEL_GRACE).await
                }
                _ = timer => {
                    let now = Instant::now();
                    let stopped = self.stopping.as_ref().filter(|stopping| now >= stopping.until);
                    if let Some(stopping) = stopped {
                        Step::End(stopping.ending.clone())
                    } else if let Some(input) = self.conn.try_recv() {
                        // The timer and the agent's word were ready at
                        // once (Tandem was busy): what it sent counts.
                        heard = true;
                        self.on_inputs(input, &id, phase).await
                    } else if deadline.is_some_and(|at| now >= at) {
                        Step::End(Ending::failed(format!(
                            "the agent did not answer {method} within {} s",
                            config.agent_start_timeout.as_secs()
                        )))
                    } else if hang_at.is_some_and(|at| now >= at) && self.conn.out_of_reach() {
                        // Silent because its runner's link is down: not
                        // hung. The runner's own timeout decides.
                        heard = true;
                        Step::Continue
                    } else if hang_at.is_some_and(|at| now >= at) {
                        Step::End(Ending::failed(format!(
                            "the agent sent nothing for {} s while nobody was being asked \
                             anything; the session is treated as hung",
                            config.hang_timeout.as_secs()
                        )))
                    } else {
                        Step::Continue
                    }
                }
            };
            let mut flushed = self.session.log.flush().await;
            if flushed.is_ok() && self.spent_since_check {
                // What it says (a pause) is stored now, not at the next word.
                self.hold_to_budgets(phase).await;
                flushed = self.session.log.flush().await;
            }
            if flushed.is_ok() {
                self.lines_stored().await;
            }
            if heard {
                last_activity = Instant::now();
            }
            match step {
                Step::Continue => flushed?,
                Step::Answer(value) => {
                    flushed?;
                    return Ok(value);
                }
                Step::End(ending) => return Err(ending),
            }
        }
    }

    /// Handles `first` and whatever else the agent already sent, up to a
    /// batch, so a burst is stored in one transaction.
    async fn on_inputs(&mut self, first: AgentInput, awaited: &Value, phase: Phase) -> Step {
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(input) = next.take() {
            match self.on_input(input, awaited, phase).await {
                Step::Continue => {}
                done => return done,
            }
            handled += 1;
            if handled < DRAIN_BATCH {
                next = self.conn.try_recv();
            }
        }
        Step::Continue
    }

    /// One message from the agent.
    async fn on_input(&mut self, input: AgentInput, awaited: &Value, phase: Phase) -> Step {
        match input {
            AgentInput::Lost(reason) => Step::End(Ending::lost(reason)),
            AgentInput::Closed => Step::End(Ending::failed(self.conn.exit_reason(match phase {
                Phase::Turn => "mid-turn",
                _ => "during start-up",
            }))),
            AgentInput::Invalid { excerpt, error } => Step::End(Ending::failed(format!(
                "the agent broke the protocol: {error}: {excerpt:?}"
            ))),
            AgentInput::Message(Incoming::Response { id, outcome }) => {
                if let Some((setting, by)) = self.side_requests.remove(&id) {
                    self.on_setting_answer(setting, by, outcome.map_err(|e| e.to_string()));
                    return Step::Continue;
                }
                if &id != awaited {
                    tracing::debug!(session = %self.session.log.summary.id, %id, "answer to no open request");
                    return Step::Continue;
                }
                Step::Answer(outcome)
            }
            AgentInput::Message(Incoming::Notification { method, params }) => {
                self.heard += 1;
                match method.as_str() {
                    "session/update" if phase != Phase::Loading => self.on_update(params),
                    "$/cancel_request" => {
                        let log = &mut self.session.log;
                        if self
                            .permissions
                            .withdraw(log, &mut self.conn, &params)
                            .await
                            && self.permissions.is_empty()
                        {
                            self.set_live_status(SessionStatus::Running, None);
                        }
                    }
                    crate::test_hooks::PANIC_METHOD if crate::test_hooks::enabled() => {
                        panic!("test hook: the agent asked this actor to panic")
                    }
                    crate::test_hooks::STALL_METHOD if crate::test_hooks::enabled() => {
                        tokio::time::sleep(crate::test_hooks::stall(&params)).await;
                    }
                    _ => {}
                }
                Step::Continue
            }
            AgentInput::Message(Incoming::Request { id, method, params }) => {
                self.heard += 1;
                match self.on_agent_request(id, &method, params).await {
                    Ok(()) => Step::Continue,
                    Err(ending) => Step::End(ending),
                }
            }
        }
    }

    fn on_update(&mut self, params: Value) {
        match inbound::update_events(params) {
            Ok(events) => {
                for mut body in events {
                    // The agent telling the mode Tandem just set, again.
                    if let EventBody::ModeChange { mode, .. } = &body {
                        if self.session.log.agent.current_mode() == Some(mode.as_str()) {
                            continue;
                        }
                    }
                    let replayed = self
                        .replay
                        .as_mut()
                        .is_some_and(|filter| filter.judge(&mut body) == Verdict::Replayed);
                    if !replayed {
                        self.stage_with_spend(body);
                    }
                }
            }
            // An update kind this version does not know, or an extension:
            // not a reason to fail anybody's session.
            Err(error) => {
                tracing::debug!(session = %self.session.log.summary.id, %error, "update ignored")
            }
        }
    }

    async fn on_agent_request(
        &mut self,
        id: Value,
        method: &str,
        params: Value,
    ) -> Result<(), Ending> {
        let fs = self.session.launch.fs;
        let answer = match method {
            "session/request_permission" => {
                let log = &mut self.session.log;
                let asked = self
                    .permissions
                    .on_request(log, &mut self.conn, id, params, self.replay.as_mut())
                    .await?;
                if let Asked::Waiting = asked {
                    self.set_live_status(SessionStatus::WaitingApproval, None);
                }
                return Ok(());
            }
            "fs/read_text_file" if fs => client_fs::read_text_file(&self.workspace, params).await,
            "fs/write_text_file" if fs => client_fs::write_text_file(&self.workspace, params).await,
            other => Err(RpcError::new(
                RpcError::METHOD_NOT_FOUND,
                format!("Tandem does not offer {other}"),
            )),
        };
        match self.conn.respond(&id, answer).await {
            Ok(()) => Ok(()),
            Err(_) => Err(Ending::failed(self.conn.exit_reason("mid-turn"))),
        }
    }
}

/// While Tandem shuts down, how long an agent has to end its turn after
/// `session/cancel`, and then to exit after its stdin closes.
pub(super) const SHUTDOWN_CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
const SHUTDOWN_EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// `tandem mcp` on stdio (every agent must support stdio MCP servers),
/// told where to call and with which token.
/// What a run's agent was started as, and where.
struct Started {
    conn: AgentConnection,
    /// Where it works (on the runner's machine, for a runner's).
    workspace: PathBuf,
    worktree: Option<InWorktree>,
    /// Its private temporary folder on this server (a runner keeps its own).
    temp: Option<PathBuf>,
    /// Its process group on this server, recorded for a restart to end.
    group: Option<crate::acp::process_group::GroupId>,
    /// The `tandem` its MCP server runs as, and the address it calls.
    mcp_exe: PathBuf,
    mcp_url: Option<String>,
}

/// Starts the agent on this server: in its workspace (or worktree), in
/// its sandbox, recorded for a restart to end.
async fn start_here(session: &mut LiveSession) -> Result<Started, Ending> {
    let workspace = PathBuf::from(&session.assistant.workspace);
    if !workspace.is_dir() {
        return Err(Ending::failed(format!(
            "the workspace {} does not exist",
            workspace.display()
        )));
    }
    let (workspace, worktree) = worktree_of(session, workspace).await?;
    // An npm agent on a Node.js it does not run on: say so, not a crash.
    let spec = session.assistant.agent.clone();
    match tokio::task::spawn_blocking(move || crate::agents::preflight(&spec)).await {
        Ok(Err(problem)) => return Err(Ending::failed(problem)),
        Ok(Ok(())) => {}
        Err(error) => tracing::warn!(%error, "the agent's preflight did not run"),
    }
    // The assistant's secrets, into its agent's environment only.
    let mut launch = session.launch.clone();
    match crate::secrets::environment(&session.ctx, &session.assistant.id).await {
        Ok(secrets) => launch.env.extend(secrets),
        Err(reason) => return Err(Ending::failed(reason)),
    }
    // Kept inside by the kernel: its workspace, a temporary folder of its
    // own and its state are all it may write.
    let temp = crate::sandbox::private_temp(session.log.summary.id.as_str()).map_err(|error| {
        Ending::failed(format!(
            "could not make the agent's temporary folder: {error}"
        ))
    })?;
    launch
        .env
        .push(("TMPDIR".into(), temp.display().to_string()));
    let sandbox = {
        let ctx = session.ctx.clone();
        let writable = [workspace.clone(), temp.clone()]
            .into_iter()
            .chain(launch.state.iter().cloned())
            // A worktree commits into the repository's shared objects.
            .chain(worktree.as_ref().map(|w| w.git_common_dir.clone()))
            .collect();
        tokio::task::spawn_blocking(move || {
            ctx.config.sandbox.prepare(writable, &ctx.places.data_dir)
        })
        .await
    };
    let sandbox = match sandbox {
        Ok(Ok(sandbox)) => sandbox,
        Ok(Err(reason)) => return Err(Ending::failed(reason)),
        Err(error) => {
            return Err(Ending::failed(format!(
                "the sandbox was not built: {error}"
            )))
        }
    };
    if sandbox.is_none() {
        session.log.stage(EventBody::Notice {
            text: session.ctx.config.sandbox.describe(),
        });
    }
    let conn = AgentConnection::spawn(&launch, &workspace, sandbox.as_ref())
        .map_err(|error| Ending::failed(error.to_string()))?;
    drop(sandbox);
    let ctx = session.ctx.clone();
    // Recorded at once: a server killed from now on leaves a group the
    // next start can find and end.
    let group = conn.group();
    if let Some(group) = group {
        let process = AgentProcess {
            pgid: i64::from(group.pgid),
            start_ticks: group.start_ticks,
        };
        let at = ctx.clock.now_ms();
        if let Err(error) = ctx
            .store
            .record_agent_process(&session.log.summary.id, &process, &ctx.cluster.node_id, at)
            .await
        {
            tracing::error!(%error, "could not record an agent process group");
        }
    }
    Ok(Started {
        conn,
        workspace,
        worktree,
        temp: Some(temp),
        group,
        mcp_exe: ctx.config.tandem_exe.clone(),
        mcp_url: ctx.api_url.get().cloned(),
    })
}

/// A runner's agent this server takes over: its connection continues
/// where the run that started it left it.
fn start_adopted(
    session: &mut LiveSession,
    adopted: super::adopted::Adopted,
) -> (Started, super::adopted::Adoption) {
    let ctx = session.ctx.clone();
    session.launch.fs = false;
    let runner_id = adopted.remote.runner_id.clone();
    let conn = AgentConnection::adopted(
        adopted.remote,
        adopted.lines,
        ctx.runners.clone(),
        adopted.run.stored_lines,
        adopted.stdin_lines,
    );
    let started = Started {
        conn,
        workspace: PathBuf::from(&session.assistant.workspace),
        worktree: None,
        temp: None,
        group: None,
        mcp_exe: PathBuf::from(ctx.runners.tandem_exe(&runner_id).unwrap_or_default()),
        mcp_url: None,
    };
    (started, super::adopted::Adoption::from(adopted.run))
}

/// Starts the agent on the assistant's runner, through its link: the
/// runner checks the workspace, builds the sandbox and keeps the process
/// group; the agent reads and writes files with its own tools (`fs/*` is
/// not offered: this server's disk is not the runner's).
async fn start_on_runner(session: &mut LiveSession, runner_id: &str) -> Result<Started, Ending> {
    let ctx = session.ctx.clone();
    let name = match ctx.store.get_runner(runner_id).await {
        Ok(Some(record)) => record.runner.name,
        _ => runner_id.to_owned(),
    };
    let Some(runner_exe) = ctx.runners.tandem_exe(runner_id) else {
        return Err(Ending::failed(format!(
            "the assistant runs on the runner `{name}`, which is not connected to this server"
        )));
    };
    let mut launch = session.launch.clone();
    session.launch.fs = false;
    match crate::secrets::environment(&ctx, &session.assistant.id).await {
        Ok(secrets) => launch.env.extend(secrets),
        Err(reason) => return Err(Ending::failed(reason)),
    }
    // The built-in agents are this program: on the runner, its own.
    let program = if launch.program == ctx.config.tandem_exe {
        runner_exe.clone()
    } else {
        launch.program.display().to_string()
    };
    let remote_launch = tandem_shared::runner::RemoteLaunch {
        program,
        args: launch.args.clone(),
        env: launch.env.clone(),
        cwd: session.assistant.workspace.clone(),
        state: launch
            .state
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
    };
    let (remote, lines) = ctx
        .runners
        .start(runner_id, remote_launch, ctx.config.agent_start_timeout)
        .await
        .map_err(|error| Ending::failed(format!("on the runner `{name}`: {error}")))?;
    session.log.stage(EventBody::Notice {
        text: format!("The agent runs on the runner `{name}`."),
    });
    let conn = AgentConnection::remote(remote, lines, ctx.runners.clone());
    Ok(Started {
        conn,
        workspace: PathBuf::from(&session.assistant.workspace),
        worktree: None,
        temp: None,
        group: None,
        mcp_exe: PathBuf::from(runner_exe),
        mcp_url: ctx.runners.hub_url(runner_id),
    })
}

fn tandem_mcp_server(exe: PathBuf, url: Option<String>, token: &str) -> Vec<acp::McpServer> {
    let Some(url) = url else {
        return Vec::new();
    };
    vec![acp::McpServer::Stdio(
        acp::McpServerStdio::new("tandem", exe)
            .args(vec!["mcp".into()])
            .env(vec![
                acp::EnvVariable::new(mcp_server::URL_VAR, url.clone()),
                acp::EnvVariable::new(mcp_server::TOKEN_VAR, token),
            ]),
    )]
}

/// A session working in its own worktree: the directory, what the rules
/// read it as, and the repository directory its commits go to.
struct InWorktree {
    rules: super::rules::WorktreeMap,
    git_common_dir: PathBuf,
}

/// Where this run works: the session's worktree (made again from its
/// branch if it went missing), or the workspace itself.
async fn worktree_of(
    session: &LiveSession,
    workspace: PathBuf,
) -> Result<(PathBuf, Option<InWorktree>), Ending> {
    let found = session
        .ctx
        .store
        .worktree_of(&session.log.summary.id)
        .await
        .map_err(|error| Ending::storage(error.explain()))?;
    let Some(worktree) = found else {
        return Ok((workspace, None));
    };
    let dir = crate::worktrees::ready(&worktree, &workspace)
        .await
        .map_err(|error| Ending::failed(format!("the session's worktree: {error}")))?;
    let repo = crate::worktrees::open(&dir)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| {
            Ending::failed(format!(
                "the session's worktree {} is not a git working tree",
                dir.display()
            ))
        })?;
    Ok((
        dir,
        Some(InWorktree {
            rules: super::rules::WorktreeMap {
                worktree: worktree.path.clone(),
                workspace: worktree.repo.clone(),
            },
            git_common_dir: repo.common_dir,
        }),
    ))
}
