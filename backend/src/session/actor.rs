//! The session actor: one tokio task per live session. It owns the agent
//! process, gives every event its `seq`, stores it and only then publishes
//! it, and answers the commands in its mailbox.

use super::command::{Command, DecideError, SessionError};
use super::continuity::{self, ColdReason, ContextParts, ContinuityInput, StartMode};
use super::registry::Registry;
use super::rules;
use super::summary::{self, OutcomeBuilder};
use super::{client_fs, Context, Lifecycle};
use crate::acp::connection::{AgentConnection, AgentInput, LaunchSpec};
use crate::acp::inbound;
use crate::acp::jsonrpc::{Incoming, RpcError};
use crate::acp::schema as acp;
use crate::agent_tools::{mcp_server, Grant};
use crate::hub::Batch;
use crate::store::{DecideOutcome, QueuedMessage, SessionRecord};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::api::{ApprovalRule, RuleAction};
use tandem_shared::api::{Assistant, DecisionResult, Delivery, SessionSummary};
use tandem_shared::{
    ApprovalId, ApprovalState, DecisionOutcome, EventBody, PermissionKind, PermissionOption, Seq,
    SessionStatus, ToolCall, ToolCallPatch, TranscriptEvent,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Agent lines handled before the staged events are stored, so a burst is
/// written in one transaction.
const DRAIN_BATCH: usize = 256;

/// How a run of the agent ended.
#[derive(Debug, Clone)]
struct Ending {
    status: SessionStatus,
    reason: Option<String>,
}

impl Ending {
    fn completed() -> Ending {
        Ending {
            status: SessionStatus::Completed,
            reason: None,
        }
    }

    fn failed(reason: impl Into<String>) -> Ending {
        Ending {
            status: SessionStatus::Failed,
            reason: Some(reason.into()),
        }
    }

    /// The store could not take a write; `explanation` says why.
    fn storage(explanation: String) -> Ending {
        Ending::failed(storage_reason(&explanation))
    }

    fn stopped(by: Option<String>) -> Ending {
        Ending {
            status: SessionStatus::Stopped,
            reason: Some(match by {
                Some(person) => format!("stopped by {person}"),
                None => "stopped".to_owned(),
            }),
        }
    }
}

fn storage_reason(explanation: &str) -> String {
    format!("storage error: {explanation}")
}

struct Identity {
    fingerprint: String,
    context: String,
}

/// The settings key of the organisation-wide constitution.
pub const ORG_CONSTITUTION: &str = "constitution";

/// Organisation rules first, then the assistant's own: lower layers add
/// rules, never remove them.
pub fn join_constitutions(org: &str, own: &str) -> String {
    match (org.trim(), own.trim()) {
        ("", own) => own.to_owned(),
        (org, "") => org.to_owned(),
        (org, own) => format!("{org}\n\n{own}"),
    }
}

/// `YYYY-MM-DD` (UTC) of a millisecond timestamp.
fn format_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| "(unknown date)".to_owned())
}

/// What the actor is waiting for while it pumps messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `initialize` / `session/new`: commands queue, stop ends at once.
    Handshake,
    /// `session/load`: the agent replays history we already hold; ignore it.
    Loading,
    /// `session/prompt` is open.
    Turn,
}

struct PendingPermission {
    rpc_id: Value,
    options: Vec<PermissionOption>,
    /// What it is about, for turning an "always" answer into a rule.
    tool_call: Option<ToolCallPatch>,
}

pub struct SessionActor {
    ctx: Arc<Context>,
    registry: Arc<Registry>,
    mailbox: mpsc::Receiver<Command>,
    summary: SessionSummary,
    agent_session_id: Option<String>,
    agent_fingerprint: Option<String>,
    agent_started_at: Option<i64>,
    agent_turns: i64,
    /// Why this run was woken, for a cold start's context block.
    why: String,
    /// The context block the next prompt carries (after a cold start).
    context_for_next_prompt: Option<String>,
    /// Tandem's MCP server for this run, with its token.
    mcp_servers: Vec<acp::McpServer>,
    assistant: Assistant,
    launch: LaunchSpec,
    seq: Seq,
    /// Follow-ups in delivery order; each is also a row in the store until
    /// it is delivered, so a crash loses none.
    queue: VecDeque<QueuedMessage>,
    /// The message this run was started with, queued when it runs.
    first_message: Option<(String, Option<String>)>,
    /// Set while paused: the status to go back to on resume.
    paused: Option<SessionStatus>,
    staged: Vec<EventBody>,
    pending: HashMap<ApprovalId, PendingPermission>,
    /// Set when a person asked to stop: who, and until when the agent may
    /// take to end its turn.
    stopping: Option<(Option<String>, Instant)>,
    /// What this run did so far, for its summary.
    outcome: OutcomeBuilder,
}

impl SessionActor {
    pub fn new(
        ctx: Arc<Context>,
        registry: Arc<Registry>,
        mailbox: mpsc::Receiver<Command>,
        record: SessionRecord,
        assistant: Assistant,
        first_message: Option<(String, Option<String>)>,
        why: String,
    ) -> SessionActor {
        let launch = crate::agents::launch_spec(&assistant.agent, &ctx.config.tandem_exe);
        SessionActor {
            seq: record.summary.last_seq,
            summary: record.summary,
            agent_session_id: record.agent_session_id,
            agent_fingerprint: record.agent_fingerprint,
            agent_started_at: record.agent_started_at,
            agent_turns: record.agent_turns,
            why,
            context_for_next_prompt: None,
            mcp_servers: Vec::new(),
            ctx,
            registry,
            mailbox,
            assistant,
            launch,
            queue: VecDeque::new(),
            first_message,
            paused: None,
            staged: Vec::new(),
            pending: HashMap::new(),
            stopping: None,
            outcome: OutcomeBuilder::default(),
        }
    }

    pub async fn run(mut self) {
        // Follow-ups left queued by a crash go first, then this run's own.
        match self.ctx.store.queued_messages(&self.summary.id).await {
            Ok(left) => self.queue.extend(left),
            Err(error) => {
                tracing::error!(session = %self.summary.id, %error, "could not read queued follow-ups")
            }
        }
        if let Some((text, author)) = self.first_message.take() {
            if let Err(error) = self.enqueue(text.clone(), author.clone(), false).await {
                tracing::error!(session = %self.summary.id, %error, "could not queue the first message");
                // Still run it: the message is in memory.
                self.queue.push_back(QueuedMessage {
                    id: self.ctx.ids.new_id("msg"),
                    text,
                    author,
                });
            }
        }
        loop {
            let ending = self.drive().await;
            // Messages the agent never took are recorded, not retried: a
            // failing agent must not turn into a loop of failing runs.
            let undelivered = std::mem::take(&mut self.queue);
            self.paused = None;
            if !undelivered.is_empty() {
                for message in undelivered {
                    let _ = self.ctx.store.unqueue_message(&message.id).await;
                    self.staged.push(EventBody::UserMessage {
                        text: message.text,
                        author: message.author,
                    });
                }
                self.staged.push(EventBody::Error {
                    message: "The message above was not delivered: the session ended first.".into(),
                });
            }
            let (ending, summary) = self.conclude(&ending);
            if let Err(error) = self.store_staged().await {
                tracing::error!(session = %self.summary.id, %error, "could not store the end of a session");
                // The log cannot take the end, but people must still learn
                // the session stopped and why; after a restart the store
                // says `interrupted`, which is resumable.
                self.staged.clear();
                self.summary.status = ending.status;
                self.summary.status_reason = ending
                    .reason
                    .clone()
                    .or_else(|| Some(storage_reason(&error.explain())));
                self.ctx.hub.publish_session(self.summary.clone());
            }
            let _ = self
                .ctx
                .lifecycle
                .send(Lifecycle::Ended {
                    assistant_id: self.assistant.id.clone(),
                    session_id: self.summary.id.clone(),
                    title: self.summary.title.clone(),
                    status: ending.status,
                    reason: ending.reason.clone(),
                    summary,
                })
                .await;
            // Commands that arrived after the end: a message resumes.
            loop {
                match self.mailbox.try_recv() {
                    // Nothing left to interrupt: it simply resumes the session.
                    Ok(Command::Send {
                        text,
                        author,
                        reply,
                        ..
                    }) => {
                        let _ = self.enqueue(text, author, false).await;
                        let _ = reply.send(Ok(Delivery::Resumed));
                    }
                    Ok(
                        Command::Stop { reply, .. }
                        | Command::Pause { reply, .. }
                        | Command::Resume { reply, .. },
                    ) => {
                        let _ = reply.send(Err(SessionError::NotRunning));
                    }
                    Ok(Command::Decide { reply, .. }) => {
                        let _ = reply.send(Err(DecideError::NotFound));
                    }
                    Err(_) => {
                        if !self.queue.is_empty() {
                            break;
                        }
                        if self.registry.finish(&self.summary.id, &self.mailbox) {
                            return;
                        }
                    }
                }
            }
            self.stopping = None;
        }
    }

    /// Starts (or resumes) the agent and runs turns until the queue is empty.
    async fn drive(&mut self) -> Ending {
        let _ = self
            .ctx
            .lifecycle
            .send(Lifecycle::Started {
                assistant_id: self.assistant.id.clone(),
                session_id: self.summary.id.clone(),
            })
            .await;
        self.set_status(SessionStatus::Starting, None);
        if let Err(ending) = self.flush().await {
            return ending;
        }
        let workspace = PathBuf::from(&self.assistant.workspace);
        if !workspace.is_dir() {
            return Ending::failed(format!(
                "the workspace {} does not exist",
                workspace.display()
            ));
        }
        let mut conn = match AgentConnection::spawn(&self.launch, &workspace) {
            Ok(conn) => conn,
            Err(error) => return Ending::failed(error.to_string()),
        };
        let token = self.ctx.tool_tokens.issue(Grant {
            session_id: self.summary.id.clone(),
            assistant_id: self.assistant.id.clone(),
        });
        self.mcp_servers = self.tandem_mcp_server(&token);
        let ending = self.converse(&mut conn, &workspace).await;
        self.ctx.tool_tokens.revoke(&token);
        self.settle_pending(Some(&mut conn), &ending).await;
        if let Some(status) = conn.shutdown(self.ctx.config.exit_grace).await {
            tracing::debug!(session = %self.summary.id, ?status, "agent exited");
        }
        ending
    }

    async fn converse(
        &mut self,
        conn: &mut AgentConnection,
        workspace: &std::path::Path,
    ) -> Ending {
        let start_deadline = Instant::now() + self.ctx.config.agent_start_timeout;
        let init = acp::InitializeRequest::new(agent_client_protocol_schema::ProtocolVersion::V1)
            .client_capabilities(
                acp::ClientCapabilities::new()
                    .fs(acp::FileSystemCapabilities::new()
                        .read_text_file(self.launch.fs)
                        .write_text_file(self.launch.fs))
                    .terminal(false),
            )
            .client_info(acp::Implementation::new(
                "tandem",
                env!("CARGO_PKG_VERSION"),
            ));
        let init = match self
            .call(
                conn,
                "initialize",
                init,
                Phase::Handshake,
                Some(start_deadline),
            )
            .await
        {
            Ok(value) => value,
            Err(ending) => return ending,
        };
        let init: acp::InitializeResponse = match serde_json::from_value(init) {
            Ok(init) => init,
            Err(error) => {
                return Ending::failed(format!(
                    "the agent's initialize answer is malformed: {error}"
                ))
            }
        };
        let can_load = init.agent_capabilities.load_session;

        let identity = match self.identity().await {
            Ok(identity) => identity,
            Err(error) => return Ending::storage(error.explain()),
        };
        let now = self.ctx.clock.now_ms();
        let mut mode = continuity::decide(&ContinuityInput {
            can_load,
            agent_session_id: self.agent_session_id.as_deref(),
            started_fingerprint: self.agent_fingerprint.as_deref(),
            current_fingerprint: &identity.fingerprint,
            agent_session_age: self
                .agent_started_at
                .map(|at| Duration::from_millis(u64::try_from(now - at).unwrap_or(0))),
            agent_session_turns: u64::try_from(self.agent_turns).unwrap_or(0),
            max_age: self.ctx.config.rotate_after,
            max_turns: self.ctx.config.rotate_turns,
        });

        let mut agent_session = None;
        if let (StartMode::Warm, Some(known)) = (&mode, self.agent_session_id.clone()) {
            let load = acp::LoadSessionRequest::new(known.clone(), workspace.to_path_buf())
                .mcp_servers(self.mcp_servers.clone());
            match self
                .call(
                    conn,
                    "session/load",
                    load,
                    Phase::Loading,
                    Some(start_deadline),
                )
                .await
            {
                Ok(_) => agent_session = Some(known),
                // The agent no longer knows the session: start cold, once,
                // and say so.
                Err(ending) if ending.status == SessionStatus::Failed => {
                    mode = StartMode::Cold(ColdReason::WarmResumeFailed(
                        ending.reason.unwrap_or_default(),
                    ));
                }
                Err(ending) => return ending,
            }
        }
        let agent_session = match agent_session {
            Some(id) => {
                self.staged.push(EventBody::Continuity {
                    mode: tandem_shared::StartMode::Warm,
                    reason: Some("the agent resumed its own session".into()),
                    context: None,
                });
                id
            }
            None => {
                let new = acp::NewSessionRequest::new(workspace.to_path_buf())
                    .mcp_servers(self.mcp_servers.clone());
                let value = match self
                    .call(
                        conn,
                        "session/new",
                        new,
                        Phase::Handshake,
                        Some(start_deadline),
                    )
                    .await
                {
                    Ok(value) => value,
                    Err(ending) => return ending,
                };
                let new: acp::NewSessionResponse = match serde_json::from_value(value) {
                    Ok(new) => new,
                    Err(error) => {
                        return Ending::failed(format!(
                            "the agent's session/new answer is malformed: {error}"
                        ))
                    }
                };
                let id = new.session_id.0.to_string();
                let now = self.ctx.clock.now_ms();
                // Stored at once, so a killed process can still be resumed.
                if let Err(error) = self
                    .ctx
                    .store
                    .set_agent_session(&self.summary.id, &id, &identity.fingerprint, now)
                    .await
                {
                    return Ending::storage(error.explain());
                }
                self.agent_session_id = Some(id.clone());
                self.agent_fingerprint = Some(identity.fingerprint.clone());
                self.agent_started_at = Some(now);
                self.agent_turns = 0;
                let reason = match &mode {
                    StartMode::Cold(reason) => reason.describe(),
                    StartMode::Warm => ColdReason::FirstRun.describe(),
                };
                self.staged.push(EventBody::Continuity {
                    mode: tandem_shared::StartMode::Cold,
                    reason: Some(reason),
                    context: Some(identity.context.clone()),
                });
                self.context_for_next_prompt = Some(identity.context);
                id
            }
        };

        while let Some(message) = self.queue.pop_front() {
            if let Some((by, _)) = &self.stopping {
                self.queue.push_front(message);
                return Ending::stopped(by.clone());
            }
            let text = message.text.clone();
            self.staged.push(EventBody::UserMessage {
                text: text.clone(),
                author: message.author.clone(),
            });
            self.set_status(SessionStatus::Running, None);
            if let Err(ending) = self.flush().await {
                return ending;
            }
            // In the transcript now: no longer queued. (A crash between the
            // two delivers it again rather than never.)
            if let Err(error) = self.ctx.store.unqueue_message(&message.id).await {
                return Ending::storage(error.explain());
            }
            // A cold start's first prompt carries the context block first.
            let mut blocks = Vec::new();
            if let Some(context) = self.context_for_next_prompt.take() {
                blocks.push(acp::ContentBlock::from(context));
            }
            blocks.push(acp::ContentBlock::from(text));
            let prompt = acp::PromptRequest::new(agent_session.clone(), blocks);
            if let Err(error) = self.ctx.store.count_agent_turn(&self.summary.id).await {
                return Ending::storage(error.explain());
            }
            self.agent_turns += 1;
            let answer = match self
                .call(conn, "session/prompt", prompt, Phase::Turn, None)
                .await
            {
                Ok(answer) => answer,
                Err(ending) => return ending,
            };
            let stop_reason = serde_json::from_value::<acp::PromptResponse>(answer)
                .map(|response| response.stop_reason)
                .ok();
            if let Some((by, _)) = &self.stopping {
                return Ending::stopped(by.clone());
            }
            match stop_reason {
                Some(acp::StopReason::EndTurn) | Some(acp::StopReason::Cancelled) => {}
                Some(acp::StopReason::Refusal) => return Ending::failed("the agent refused"),
                Some(acp::StopReason::MaxTokens) => {
                    return Ending::failed("the agent ran out of tokens")
                }
                Some(acp::StopReason::MaxTurnRequests) => {
                    return Ending::failed("the agent reached its limit of requests for a turn")
                }
                _ => return Ending::failed("the agent ended its turn without a stop reason"),
            }
        }
        Ending::completed()
    }

    /// Sends a request and handles everything else that arrives until its
    /// answer does.
    async fn call<P: serde::Serialize>(
        &mut self,
        conn: &mut AgentConnection,
        method: &str,
        params: P,
        phase: Phase,
        deadline: Option<Instant>,
    ) -> Result<Value, Ending> {
        let id = conn
            .request(method, params)
            .await
            .map_err(|_| Ending::failed(self.exit_reason(conn, "before it was asked anything")))?;
        let id = Value::from(id);
        // The watchdog: a turn with no word from the agent for this long,
        // while nobody is being asked anything, is hung.
        let mut last_activity = Instant::now();
        loop {
            // Nor while a person has paused it.
            let hang_at =
                (phase == Phase::Turn && self.pending.is_empty() && self.paused.is_none())
                    .then(|| last_activity + self.ctx.config.hang_timeout);
            let stop_at = self.stopping.as_ref().map(|(_, at)| *at);
            let wake_at = [deadline, stop_at, hang_at].into_iter().flatten().min();
            let timer = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = conn.recv() => {
                    last_activity = Instant::now();
                    let mut next = Some(input);
                    let mut handled = 0;
                    while let Some(input) = next.take() {
                        if let Some(answer) = self.on_input(conn, input, &id, method, phase).await? {
                            self.flush().await?;
                            return answer;
                        }
                        handled += 1;
                        if handled < DRAIN_BATCH {
                            next = conn.try_recv();
                        }
                    }
                    self.flush().await?;
                }
                command = self.mailbox.recv() => {
                    if let Some(command) = command {
                        // An answer from a person restarts the watchdog.
                        last_activity = Instant::now();
                        self.on_command(conn, command, phase).await?;
                        self.flush().await?;
                    }
                }
                _ = timer => {
                    let now = Instant::now();
                    if let Some((by, at)) = &self.stopping {
                        if now >= *at {
                            return Err(Ending::stopped(by.clone()));
                        }
                    }
                    if deadline.is_some_and(|at| now >= at) {
                        return Err(Ending::failed(format!(
                            "the agent did not answer {method} within {} s",
                            self.ctx.config.agent_start_timeout.as_secs()
                        )));
                    }
                    if hang_at.is_some_and(|at| now >= at) {
                        return Err(Ending::failed(format!(
                            "the agent sent nothing for {} s while nobody was being asked \
                             anything; the session is treated as hung",
                            self.ctx.config.hang_timeout.as_secs()
                        )));
                    }
                }
            }
        }
    }

    /// Handles one agent message. Returns `Some(answer)` when it is the
    /// answer awaited.
    async fn on_input(
        &mut self,
        conn: &mut AgentConnection,
        input: AgentInput,
        awaited: &Value,
        method: &str,
        phase: Phase,
    ) -> Result<Option<Result<Value, Ending>>, Ending> {
        match input {
            AgentInput::Closed => Err(Ending::failed(self.exit_reason(
                conn,
                match phase {
                    Phase::Turn => "mid-turn",
                    _ => "during start-up",
                },
            ))),
            AgentInput::Invalid { excerpt, error } => Err(Ending::failed(format!(
                "the agent broke the protocol: {error}: {excerpt:?}"
            ))),
            AgentInput::Message(Incoming::Response { id, outcome }) => {
                if &id != awaited {
                    tracing::debug!(session = %self.summary.id, %id, "answer to no open request");
                    return Ok(None);
                }
                Ok(Some(outcome.map_err(|error| {
                    Ending::failed(format!(
                        "the agent answered {method} with an error: {error}"
                    ))
                })))
            }
            AgentInput::Message(Incoming::Notification { method, params }) => {
                if method == "session/update" && phase != Phase::Loading {
                    self.on_update(params);
                } else if method == "$/cancel_request" {
                    self.on_withdrawn(conn, params).await;
                }
                Ok(None)
            }
            AgentInput::Message(Incoming::Request { id, method, params }) => {
                self.on_agent_request(conn, id, &method, params).await?;
                Ok(None)
            }
        }
    }

    fn on_update(&mut self, params: Value) {
        match inbound::update_events(params) {
            Ok(events) => self.staged.extend(events),
            // An update kind this version does not know, or an extension:
            // not a reason to fail anybody's session.
            Err(error) => tracing::debug!(session = %self.summary.id, %error, "update ignored"),
        }
    }

    async fn on_agent_request(
        &mut self,
        conn: &mut AgentConnection,
        id: Value,
        method: &str,
        params: Value,
    ) -> Result<(), Ending> {
        let workspace = PathBuf::from(&self.assistant.workspace);
        let answer = match method {
            "session/request_permission" => {
                return self.on_permission_request(conn, id, params).await
            }
            "fs/read_text_file" if self.launch.fs => {
                client_fs::read_text_file(&workspace, params).await
            }
            "fs/write_text_file" if self.launch.fs => {
                client_fs::write_text_file(&workspace, params).await
            }
            other => Err(RpcError::new(
                RpcError::METHOD_NOT_FOUND,
                format!("Tandem does not offer {other}"),
            )),
        };
        conn.respond(&id, answer)
            .await
            .map_err(|_| Ending::failed(self.exit_reason(conn, "mid-turn")))
    }

    async fn on_permission_request(
        &mut self,
        conn: &mut AgentConnection,
        rpc_id: Value,
        params: Value,
    ) -> Result<(), Ending> {
        let ask = match inbound::permission_request(params) {
            Ok(request) => request,
            Err(error) => {
                let answer: Result<Value, _> = Err(RpcError::new(
                    RpcError::INVALID_PARAMS,
                    format!("malformed permission request: {error}"),
                ));
                return conn
                    .respond(&rpc_id, answer)
                    .await
                    .map_err(|_| Ending::failed(self.exit_reason(conn, "mid-turn")));
            }
        };
        let approval_id = ApprovalId(self.ctx.ids.new_id("apr"));
        let inbound::PermissionAsk { tool_call, options } = ask;
        if let Some(done) = self
            .apply_rules(conn, &rpc_id, &approval_id, &tool_call, &options)
            .await?
        {
            return Ok(done);
        }
        self.ctx
            .store
            .create_approval(
                &approval_id,
                &self.summary.id,
                &tool_call,
                &options,
                self.ctx.clock.now_ms(),
            )
            .await
            .map_err(|error| Ending::storage(error.explain()))?;
        self.ctx.hub.approvals_changed();
        self.pending.insert(
            approval_id.clone(),
            PendingPermission {
                rpc_id,
                options: options.clone(),
                tool_call: Some(tool_call.clone()),
            },
        );
        self.staged.push(EventBody::PermissionRequest {
            approval_id,
            tool_call,
            options,
        });
        self.set_live_status(SessionStatus::WaitingApproval, None);
        Ok(())
    }

    /// The tool call a request is about, as complete as this run knows it:
    /// what was announced, with the request's own fields over it.
    fn full_call(&self, patch: &ToolCallPatch) -> ToolCall {
        let mut call = self.outcome.call(&patch.id).cloned().unwrap_or(ToolCall {
            id: patch.id.clone(),
            title: String::new(),
            kind: Default::default(),
            status: Default::default(),
            content: vec![],
            locations: vec![],
            raw_input: None,
        });
        // Events not yet stored: the announcement may be in the same burst.
        for body in &self.staged {
            match body {
                EventBody::ToolCall(announced) if announced.id == patch.id => {
                    call = announced.clone()
                }
                EventBody::ToolCallUpdate(update) if update.id == patch.id => {
                    tandem_shared::transcript::apply_patch(&mut call, update)
                }
                _ => {}
            }
        }
        tandem_shared::transcript::apply_patch(&mut call, patch);
        call
    }

    /// Answers a request its rules decide (allow or block) without asking
    /// anyone, recording the request and the rule's decision.
    async fn apply_rules(
        &mut self,
        conn: &mut AgentConnection,
        rpc_id: &Value,
        approval_id: &ApprovalId,
        tool_call: &ToolCallPatch,
        options: &[PermissionOption],
    ) -> Result<Option<()>, Ending> {
        let storage = |error: crate::store::StoreError| Ending::storage(error.explain());
        let subject = rules::Subject::of(&self.full_call(tool_call));
        let tandem = self.ctx.store.rules(None).await.map_err(storage)?;
        let own = self
            .ctx
            .store
            .rules(Some(&self.assistant.id))
            .await
            .map_err(storage)?;
        let verdict = rules::decide(&subject, &tandem, &own);
        let wanted: &[PermissionKind] = match verdict.action {
            RuleAction::Ask => return Ok(None),
            RuleAction::Allow => &[PermissionKind::AllowOnce, PermissionKind::AllowAlways],
            RuleAction::Block => &[PermissionKind::RejectOnce, PermissionKind::RejectAlways],
        };
        // An agent that offers no such option is asked about it as usual.
        let Some(option) = wanted
            .iter()
            .find_map(|kind| options.iter().find(|o| o.kind == *kind))
            .cloned()
        else {
            return Ok(None);
        };
        let by = verdict
            .rule
            .as_ref()
            .map(|rule| format!("rule {}", rules::describe(rule)));
        let now = self.ctx.clock.now_ms();
        self.ctx
            .store
            .create_approval(approval_id, &self.summary.id, tool_call, options, now)
            .await
            .map_err(storage)?;
        self.ctx
            .store
            .decide_approval(approval_id, &option.option_id, by.as_deref(), now)
            .await
            .map_err(storage)?;
        self.staged.push(EventBody::PermissionRequest {
            approval_id: approval_id.clone(),
            tool_call: tool_call.clone(),
            options: options.to_vec(),
        });
        self.staged.push(EventBody::PermissionDecision {
            approval_id: approval_id.clone(),
            outcome: DecisionOutcome::Selected {
                option_id: option.option_id.clone(),
                kind: option.kind,
            },
            by,
        });
        let answer = acp::RequestPermissionResponse::new(acp::RequestPermissionOutcome::Selected(
            acp::SelectedPermissionOutcome::new(option.option_id.clone()),
        ));
        if conn.respond(rpc_id, Ok(answer)).await.is_err() {
            return Err(Ending::failed(self.exit_reason(conn, "mid-turn")));
        }
        Ok(Some(()))
    }

    async fn on_command(
        &mut self,
        conn: &mut AgentConnection,
        command: Command,
        phase: Phase,
    ) -> Result<(), Ending> {
        match command {
            Command::Send {
                text,
                author,
                interrupt,
                reply,
            } => {
                if let Err(error) = self.enqueue(text, author.clone(), interrupt).await {
                    tracing::error!(session = %self.summary.id, %error, "could not queue a message");
                    // An interrupt says why; a plain follow-up reads as busy.
                    if interrupt {
                        let _ = reply.send(Err(SessionError::Store(error)));
                    }
                    return Ok(());
                }
                if interrupt && phase == Phase::Turn {
                    self.thaw(conn, &author, "interrupted");
                    let who = author.map(|a| format!(" by {a}")).unwrap_or_default();
                    let reason = format!("turn interrupted{who}");
                    // Always on the record, even when the status stays Running.
                    self.staged.push(EventBody::StatusChange {
                        status: SessionStatus::Running,
                        reason: Some(reason.clone()),
                    });
                    self.settle_pending(
                        Some(conn),
                        &Ending {
                            status: SessionStatus::Running,
                            reason: Some(reason),
                        },
                    )
                    .await;
                    if let Some(agent_session) = self.agent_session_id.clone() {
                        let cancel = acp::CancelNotification::new(agent_session);
                        let _ = conn.notify("session/cancel", cancel).await;
                    }
                }
                let _ = reply.send(Ok(Delivery::Queued));
                Ok(())
            }
            Command::Pause { by, reply } => {
                if phase != Phase::Turn {
                    let _ = reply.send(Err(SessionError::NotNow(
                        "the agent is still starting; pause it once it runs".into(),
                    )));
                    return Ok(());
                }
                if self.paused.is_some() {
                    let _ = reply.send(Err(SessionError::NotNow(
                        "the session is paused already".into(),
                    )));
                    return Ok(());
                }
                if !conn.signal(nix::sys::signal::Signal::SIGSTOP) {
                    let _ = reply.send(Err(SessionError::NotNow(
                        "the agent process could not be paused".into(),
                    )));
                    return Ok(());
                }
                let before = self.staged_status().unwrap_or(self.summary.status);
                self.paused = Some(before);
                let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
                self.set_status(SessionStatus::Paused, Some(format!("paused{who}")));
                let _ = reply.send(Ok(()));
                Ok(())
            }
            Command::Resume { by, reply } => {
                if self.paused.is_none() {
                    let _ = reply.send(Err(SessionError::NotNow(
                        "the session is not paused".into(),
                    )));
                    return Ok(());
                }
                self.thaw(conn, &by, "resumed");
                let _ = reply.send(Ok(()));
                Ok(())
            }
            Command::Decide {
                approval_id,
                option_id,
                by,
                reply,
            } => {
                let result = self.decide(conn, approval_id, option_id, by).await;
                let _ = reply.send(result);
                Ok(())
            }
            Command::Stop { by, reply } => {
                let _ = reply.send(Ok(()));
                // A frozen agent cannot end its turn: let it run to hear the cancel.
                self.thaw(conn, &by, "resumed to stop");
                if phase != Phase::Turn {
                    return Err(Ending::stopped(by));
                }
                if self.stopping.is_none() {
                    let grace = Instant::now() + self.ctx.config.cancel_grace;
                    self.stopping = Some((by.clone(), grace));
                    if let Some(agent_session) = self.agent_session_id.clone() {
                        let cancel = acp::CancelNotification::new(agent_session);
                        let _ = conn.notify("session/cancel", cancel).await;
                    }
                    let ending = Ending::stopped(by);
                    self.settle_pending(Some(conn), &ending).await;
                }
                Ok(())
            }
        }
    }

    async fn decide(
        &mut self,
        conn: &mut AgentConnection,
        approval_id: ApprovalId,
        option_id: String,
        by: Option<String>,
    ) -> Result<DecisionResult, DecideError> {
        let Some(pending) = self.pending.get(&approval_id) else {
            return Err(match self.ctx.store.get_approval(&approval_id).await? {
                Some(record) if record.session_id == self.summary.id => {
                    DecideError::AlreadySettled {
                        state: record.state.as_str().to_owned(),
                        by: record.decided_by.unwrap_or_else(|| "Tandem".to_owned()),
                    }
                }
                _ => DecideError::NotFound,
            });
        };
        let Some(option) = pending
            .options
            .iter()
            .find(|option| option.option_id == option_id)
            .cloned()
        else {
            return Err(DecideError::UnknownOption(option_id));
        };
        match self
            .ctx
            .store
            .decide_approval(
                &approval_id,
                &option_id,
                by.as_deref(),
                self.ctx.clock.now_ms(),
            )
            .await?
        {
            DecideOutcome::Decided => self.ctx.hub.approvals_changed(),
            DecideOutcome::AlreadySettled { state, by } => {
                return Err(DecideError::AlreadySettled {
                    state: state.as_str().to_owned(),
                    by: by.unwrap_or_else(|| "Tandem".to_owned()),
                })
            }
            DecideOutcome::NotFound => return Err(DecideError::NotFound),
        }
        let Some(pending) = self.pending.remove(&approval_id) else {
            return Err(DecideError::NotFound);
        };
        // "Always" answers become rules of this assistant.
        let always = match option.kind {
            PermissionKind::AllowAlways => Some(RuleAction::Allow),
            PermissionKind::RejectAlways => Some(RuleAction::Block),
            _ => None,
        };
        if let (Some(action), Some(patch)) = (always, pending.tool_call.as_ref()) {
            let subject = rules::Subject::of(&self.full_call(patch));
            if !subject.text.is_empty() {
                self.ctx
                    .store
                    .add_rule(&ApprovalRule {
                        id: self.ctx.ids.new_id("rul"),
                        assistant_id: Some(self.assistant.id.clone()),
                        kind: Some(subject.kind),
                        prefix: subject.text,
                        action,
                        created_at: self.ctx.clock.now_ms(),
                    })
                    .await?;
            }
        }
        let answer = acp::RequestPermissionResponse::new(acp::RequestPermissionOutcome::Selected(
            acp::SelectedPermissionOutcome::new(option_id.clone()),
        ));
        if conn.respond(&pending.rpc_id, Ok(answer)).await.is_err() {
            tracing::warn!(session = %self.summary.id, "agent gone before its permission answer");
        }
        self.staged.push(EventBody::PermissionDecision {
            approval_id: approval_id.clone(),
            outcome: DecisionOutcome::Selected {
                option_id: option_id.clone(),
                kind: option.kind,
            },
            by,
        });
        if self.pending.is_empty() {
            self.set_live_status(SessionStatus::Running, None);
        }
        Ok(DecisionResult {
            approval_id,
            option_id,
        })
    }

    /// Answers every open permission request as cancelled and marks its
    /// approval so: no approval is left pending for a request nobody waits on.
    async fn settle_pending(&mut self, mut conn: Option<&mut AgentConnection>, ending: &Ending) {
        if self.pending.is_empty() {
            return;
        }
        let reason = ending
            .reason
            .clone()
            .unwrap_or_else(|| "the turn ended".to_owned());
        let now = self.ctx.clock.now_ms();
        if let Err(error) = self
            .ctx
            .store
            .settle_pending_approvals(&self.summary.id, ApprovalState::Cancelled, now)
            .await
        {
            tracing::error!(session = %self.summary.id, %error, "could not cancel approvals");
        }
        self.ctx.hub.approvals_changed();
        for (approval_id, pending) in std::mem::take(&mut self.pending) {
            if let Some(conn) = conn.as_deref_mut() {
                let answer =
                    acp::RequestPermissionResponse::new(acp::RequestPermissionOutcome::Cancelled);
                let _ = conn.respond(&pending.rpc_id, Ok(answer)).await;
            }
            self.staged.push(EventBody::PermissionDecision {
                approval_id,
                outcome: DecisionOutcome::Cancelled {
                    reason: reason.clone(),
                },
                by: None,
            });
        }
    }

    fn exit_reason(&mut self, conn: &mut AgentConnection, when: &str) -> String {
        let status = conn
            .try_exit_status()
            .map(|status| match status.code() {
                Some(code) => format!(" with exit code {code}"),
                None => " on a signal".to_owned(),
            })
            .unwrap_or_default();
        let stderr = conn.stderr_tail();
        let mut reason = format!("the agent exited{status} {when}");
        if !stderr.is_empty() {
            reason.push_str(": ");
            reason.push_str(stderr.lines().last().unwrap_or_default());
        }
        reason
    }

    /// `tandem mcp` on stdio (every agent must support stdio MCP servers),
    /// told where to call and with which token.
    fn tandem_mcp_server(&self, token: &str) -> Vec<acp::McpServer> {
        let Some(url) = self.ctx.api_url.get() else {
            return Vec::new();
        };
        vec![acp::McpServer::Stdio(
            acp::McpServerStdio::new("tandem", self.ctx.config.tandem_exe.clone())
                .args(vec!["mcp".into()])
                .env(vec![
                    acp::EnvVariable::new(mcp_server::URL_VAR, url.clone()),
                    acp::EnvVariable::new(mcp_server::TOKEN_VAR, token),
                ]),
        )]
    }

    /// Who the assistant is now: the fingerprint of persona + joined
    /// constitution, and the context block a cold start gives the agent.
    async fn identity(&self) -> Result<Identity, crate::store::StoreError> {
        let org = self
            .ctx
            .store
            .setting(ORG_CONSTITUTION)
            .await?
            .unwrap_or_default();
        let constitution = join_constitutions(&org, &self.assistant.constitution);
        let journal: Vec<(String, String)> = self
            .ctx
            .store
            .recent_journal(&self.assistant.id, 20)
            .await?
            .into_iter()
            .map(|entry| (format_date(entry.at), entry.text))
            .collect();
        let chat: Vec<(String, String)> = self
            .ctx
            .store
            .recent_chat(&self.assistant.id, 20)
            .await?
            .into_iter()
            .map(|message| (message.author, message.text))
            .collect();
        let context = continuity::context_block(&ContextParts {
            assistant_name: &self.assistant.name,
            persona: &self.assistant.persona,
            constitution: &constitution,
            memory: &self.assistant.memory,
            journal: &journal,
            recent_chat: &chat,
            why: &self.why,
        });
        Ok(Identity {
            fingerprint: continuity::fingerprint(&self.assistant.persona, &constitution),
            context,
        })
    }

    /// Stages the end of a run: its error, summary and final status. Returns
    /// the ending (failing tests turn a completion into a failure) and the
    /// summary text.
    fn conclude(&mut self, ending: &Ending) -> (Ending, String) {
        let outcome = std::mem::take(&mut self.outcome).finish();
        let mut ending = ending.clone();
        if ending.status == SessionStatus::Completed && summary::tests_failing(&outcome) {
            let command = outcome
                .test_runs
                .last()
                .map(|run| run.command.clone())
                .unwrap_or_default();
            ending = Ending::failed(format!("the last test run (`{command}`) failed"));
        }
        if ending.status == SessionStatus::Failed {
            if let Some(reason) = &ending.reason {
                self.staged.push(EventBody::Error {
                    message: reason.clone(),
                });
            }
        }
        let text = summary::summary_text(&outcome, ending.status, ending.reason.as_deref());
        self.staged.push(EventBody::Summary { text: text.clone() });
        self.set_status(ending.status, ending.reason.clone());
        (ending, text)
    }

    /// The agent withdrew a request (`$/cancel_request`). When it was a
    /// permission request, its approval is cancelled for everyone and the
    /// request answered with "request cancelled" (-32800), as ACP asks.
    async fn on_withdrawn(&mut self, conn: &mut AgentConnection, params: Value) {
        let Some(request_id) = params.get("requestId") else {
            return;
        };
        let Some(approval_id) = self
            .pending
            .iter()
            .find(|(_, pending)| &pending.rpc_id == request_id)
            .map(|(id, _)| id.clone())
        else {
            return;
        };
        let Some(pending) = self.pending.remove(&approval_id) else {
            return;
        };
        let now = self.ctx.clock.now_ms();
        if let Err(error) = self
            .ctx
            .store
            .settle_approval(&approval_id, ApprovalState::Cancelled, now)
            .await
        {
            tracing::error!(session = %self.summary.id, %error, "could not cancel an approval");
        }
        self.ctx.hub.approvals_changed();
        let _ = conn
            .respond::<Value>(
                &pending.rpc_id,
                Err(RpcError {
                    code: -32800,
                    message: "request cancelled".into(),
                    data: None,
                }),
            )
            .await;
        self.staged.push(EventBody::PermissionDecision {
            approval_id,
            outcome: DecisionOutcome::Cancelled {
                reason: "the agent withdrew the request".into(),
            },
            by: None,
        });
        if self.pending.is_empty() {
            self.set_live_status(SessionStatus::Running, None);
        }
    }

    /// Queues a follow-up, in the store first.
    async fn enqueue(
        &mut self,
        text: String,
        author: Option<String>,
        front: bool,
    ) -> Result<(), crate::store::StoreError> {
        let message = QueuedMessage {
            id: self.ctx.ids.new_id("msg"),
            text,
            author,
        };
        self.ctx
            .store
            .queue_message(&self.summary.id, &message, front, self.ctx.clock.now_ms())
            .await?;
        if front {
            self.queue.push_front(message);
        } else {
            self.queue.push_back(message);
        }
        Ok(())
    }

    /// Continues a paused agent, recording who did it and why.
    fn thaw(&mut self, conn: &AgentConnection, by: &Option<String>, what: &str) {
        let Some(before) = self.paused.take() else {
            return;
        };
        conn.signal(nix::sys::signal::Signal::SIGCONT);
        let who = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
        self.set_status(before, Some(format!("{what}{who}")));
    }

    /// A live status change that waits while the session is paused: it
    /// becomes the status a resume goes back to.
    fn set_live_status(&mut self, status: SessionStatus, reason: Option<String>) {
        match &mut self.paused {
            Some(before) => *before = status,
            None => self.set_status(status, reason),
        }
    }

    fn set_status(&mut self, status: SessionStatus, reason: Option<String>) {
        if self.summary.status == status && self.staged_status().is_none() {
            return;
        }
        if self.staged_status() == Some(status) {
            return;
        }
        self.staged.push(EventBody::StatusChange { status, reason });
    }

    /// The status the staged events will leave the session in, if any.
    fn staged_status(&self) -> Option<SessionStatus> {
        self.staged.iter().rev().find_map(|body| match body {
            EventBody::StatusChange { status, .. } => Some(*status),
            _ => None,
        })
    }

    async fn flush(&mut self) -> Result<(), Ending> {
        self.store_staged()
            .await
            .map_err(|error| Ending::storage(error.explain()))
    }

    /// Gives the staged events their `seq`, stores them, and only then
    /// publishes them. The `seq` moves on only once the store has them.
    async fn store_staged(&mut self) -> Result<(), crate::store::AppendError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let at = self.ctx.clock.now_ms();
        let mut seq = self.seq;
        let events: Vec<TranscriptEvent> = self
            .staged
            .iter()
            .map(|body| {
                seq = seq.next();
                TranscriptEvent {
                    session_id: self.summary.id.clone(),
                    seq,
                    at,
                    body: body.clone(),
                }
            })
            .collect();
        self.ctx
            .appender
            .append(&self.summary.id, events.clone())
            .await?;
        self.staged.clear();
        self.seq = seq;
        let mut sidebar_changed = false;
        for event in &events {
            match &event.body {
                EventBody::StatusChange { status, reason } => {
                    self.summary.status = *status;
                    self.summary.status_reason = reason.clone();
                    sidebar_changed = true;
                }
                EventBody::TitleChange { title } => {
                    self.summary.title = title.clone();
                    sidebar_changed = true;
                }
                _ => {}
            }
        }
        for event in &events {
            self.outcome.push(&event.body);
        }
        self.summary.last_seq = seq;
        self.summary.updated_at = at;
        self.ctx
            .hub
            .publish(Arc::new(Batch::new(self.summary.id.clone(), events)));
        if sidebar_changed {
            self.ctx.hub.publish_session(self.summary.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(1_795_519_964_535), "2026-11-24");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn organisation_rules_come_first() {
        assert_eq!(
            join_constitutions("Org rule.", "Own rule."),
            "Org rule.\n\nOwn rule."
        );
        assert_eq!(join_constitutions("", "Own."), "Own.");
        assert_eq!(join_constitutions("Org.", "  "), "Org.");
    }
}
