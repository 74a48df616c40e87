//! The way in for handlers: create sessions, and route messages, decisions
//! and stops to the session's actor, starting one when a message resumes an
//! ended session.

use super::actor::SessionActor;
use super::command::{Command, DecideError, SessionError};
use super::reach::{decide_refusal, session_refusal, Reach};
use super::registry::{Registry, SendError};
use super::supervisor;
use super::title::title_from_message;
use super::Context;
use crate::cluster::{Claim, RemoteCommand, RemoteReply};
use crate::store::{NewSession, StoreError};
use crate::worktrees::Placed;
use std::path::Path;
use std::sync::Arc;
use tandem_shared::agent_state::{Choice, ChoiceApplied};
use tandem_shared::api::Assistant;
use tandem_shared::api::{DecisionResult, Delivery, SessionSummary};
use tandem_shared::{
    ApprovalId, ApprovalState, AssistantId, DecisionOutcome, EventBody, Seq, SessionId,
    SessionStatus, TranscriptEvent,
};
use tokio::sync::oneshot;

/// Longest message accepted into a session.
pub const MAX_MESSAGE_CHARS: usize = 100_000;

/// What a new session starts with.
pub struct StartRequest {
    pub assistant_id: AssistantId,
    pub prompt: String,
    pub author: Option<String>,
    /// Why the assistant woke, for a cold start's context block.
    pub why: String,
    /// The title, when the wake has a better one than its message.
    pub title: Option<String>,
    /// Continue the agent session the assistant used last (a wake), rather
    /// than start a new one (a person's "New session").
    pub continue_assistant: bool,
}

pub struct Sessions {
    ctx: Arc<Context>,
    registry: Arc<Registry>,
}

impl Sessions {
    pub fn new(ctx: Arc<Context>) -> Sessions {
        Sessions {
            ctx,
            registry: Arc::new(Registry::default()),
        }
    }

    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    pub(super) fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    pub fn live_count(&self) -> usize {
        self.registry.live_count()
    }

    /// Creates a session for an assistant and starts its agent with `prompt`.
    pub async fn create(
        &self,
        assistant_id: &AssistantId,
        prompt: &str,
        author: Option<String>,
    ) -> Result<SessionSummary, SessionError> {
        self.start(StartRequest {
            assistant_id: assistant_id.clone(),
            prompt: prompt.to_owned(),
            author,
            why: "A person started this session; their message follows.".into(),
            title: None,
            // "New session" is asked for as new: a fresh agent session.
            continue_assistant: false,
        })
        .await
    }

    /// The assistant's newest live session, if it has one.
    pub fn live_of(&self, assistant_id: &AssistantId) -> Option<SessionId> {
        self.registry.live_of(assistant_id)
    }

    /// Whether the session has a live actor now.
    pub fn is_live(&self, session_id: &SessionId) -> bool {
        self.registry.is_live(session_id)
    }

    /// Every live session of the assistant, oldest first.
    pub fn all_live_of(&self, assistant_id: &AssistantId) -> Vec<SessionId> {
        self.registry.all_live_of(assistant_id)
    }

    /// Creates a session for a wake: its own title and reason to wake.
    pub async fn start(&self, request: StartRequest) -> Result<SessionSummary, SessionError> {
        self.start_via(request, Reach::Anywhere).await
    }

    pub(super) async fn start_via(
        &self,
        request: StartRequest,
        reach: Reach,
    ) -> Result<SessionSummary, SessionError> {
        if self.ctx.shutdown.has_begun() {
            return Err(SessionError::ShuttingDown);
        }
        let prompt = validate_message(&request.prompt)?;
        let assistant = self
            .ctx
            .store
            .get_assistant(&request.assistant_id)
            .await?
            .ok_or(SessionError::AssistantNotFound)?;
        if assistant.archived_at.is_some() {
            return Err(SessionError::Archived);
        }
        if let Some(node) = self.runner_elsewhere(&assistant.id, reach).await? {
            // Its runner is linked to another server: the session runs there.
            let command = RemoteCommand::Start {
                assistant_id: request.assistant_id.clone(),
                prompt,
                author: request.author,
                why: request.why,
                title: request.title,
                continue_assistant: request.continue_assistant,
            };
            let id = SessionId(String::new());
            return match self.forward(&node, &id, &command).await? {
                RemoteReply::Started { summary } => Ok(*summary),
                other => Err(session_refusal(other)),
            };
        }
        let id = SessionId(self.ctx.ids.new_id("ses"));
        let title = request
            .title
            .as_deref()
            .map(title_from_message)
            .unwrap_or_else(|| title_from_message(&prompt));
        let now = self.ctx.clock.now_ms();
        // Owned before it exists as live: another server's sweep never
        // takes a session that is only starting.
        self.ctx.cluster.claim(&id, &assistant.id).await?;
        let placed = match self.place(&assistant, &id, &title, now).await {
            Ok(placed) => placed,
            Err(error) => {
                self.ctx.cluster.release(&id).await;
                return Err(error);
            }
        };
        self.ctx
            .store
            .create_session(&NewSession {
                id: id.clone(),
                assistant_id: assistant.id.clone(),
                title,
                created_at: now,
            })
            .await?;
        let in_worktree = match placed {
            Placed::Worktree(worktree) => {
                self.ctx.store.add_worktree(&worktree).await?;
                true
            }
            Placed::InPlace(Some(why)) => {
                let notice =
                    TranscriptEvent::numbered(&id, Seq(0), now, [EventBody::Notice { text: why }]);
                self.ctx.store.append_events(&id, &notice).await?;
                false
            }
            Placed::InPlace(None) => false,
        };
        // Continuity belongs to the assistant: a wake warm-starts the agent
        // session it used last (when the agent and the rules allow) — not
        // in a worktree of its own, whose files that session never saw.
        let inherited = if request.continue_assistant && !in_worktree {
            match self.ctx.store.latest_agent_session(&assistant.id).await? {
                Some((title, from)) => {
                    self.ctx.store.inherit_agent_session(&id, &from).await?;
                    Some(title)
                }
                None => None,
            }
        } else {
            None
        };
        let record = self
            .ctx
            .store
            .get_session(&id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let summary = record.summary.clone();
        self.ctx.hub.publish_session(summary.clone());
        let Some(mailbox) = self.registry.register(&id, &assistant.id) else {
            return Err(SessionError::Busy);
        };
        let actor = SessionActor::new(
            self.ctx.clone(),
            self.registry.clone(),
            mailbox,
            record,
            assistant,
            Some((prompt, request.author)),
            request.why,
        )
        .continuing_from(inherited);
        supervisor::spawn(&self.ctx, &self.registry, actor);
        Ok(summary)
    }

    /// A new session's own worktree, when its assistant works in a git
    /// repository with worktrees on.
    async fn place(
        &self,
        assistant: &Assistant,
        id: &SessionId,
        title: &str,
        now: i64,
    ) -> Result<Placed, SessionError> {
        if !assistant.sessions.worktrees {
            return Ok(Placed::InPlace(None));
        }
        if self
            .ctx
            .store
            .assistant_runner(&assistant.id)
            .await?
            .is_some()
        {
            // Its workspace is on the runner's machine, not this one.
            return Ok(Placed::InPlace(None));
        }
        crate::worktrees::place(
            Path::new(&assistant.workspace),
            &self.ctx.places.data_dir,
            id,
            &assistant.id,
            title,
            now,
        )
        .await
        .map_err(|error| SessionError::NotNow(format!("the session cannot start: {error}")))
    }

    /// Sends a follow-up: queued behind the current turn (or, with
    /// `interrupt`, ahead of everything after cancelling the turn), or
    /// resuming an ended session.
    pub async fn send_message(
        &self,
        session_id: &SessionId,
        text: &str,
        author: Option<String>,
        interrupt: bool,
    ) -> Result<Delivery, SessionError> {
        self.send_message_via(session_id, text, author, interrupt, Reach::Anywhere)
            .await
    }

    pub(super) async fn send_message_via(
        &self,
        session_id: &SessionId,
        text: &str,
        author: Option<String>,
        interrupt: bool,
        reach: Reach,
    ) -> Result<Delivery, SessionError> {
        let text = validate_message(text)?;
        let (reply, answer) = oneshot::channel();
        let command = Command::Send {
            text,
            author,
            interrupt,
            reply,
        };
        match self.registry.send(session_id, command) {
            Ok(()) => answer.await.map_err(|_| SessionError::Busy)?,
            Err(SendError::Busy(_)) => Err(SessionError::Busy),
            Err(SendError::NoActor(Command::Send { text, author, .. })) => {
                if let Some(node) = self.owner_elsewhere(session_id, reach).await? {
                    return self
                        .forward_send(&node, session_id, text, author, interrupt)
                        .await;
                }
                self.resume(session_id, text, author, interrupt, reach)
                    .await
            }
            Err(SendError::NoActor(_)) => Err(SessionError::Busy),
        }
    }

    /// Freezes the agent (its process group) until `unpause`.
    pub async fn pause(
        &self,
        session_id: &SessionId,
        by: Option<String>,
    ) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        let remote = RemoteCommand::Pause { by: by.clone() };
        self.live_command(session_id, Command::Pause { by, reply }, answer, remote)
            .await
    }

    pub async fn unpause(
        &self,
        session_id: &SessionId,
        by: Option<String>,
        past_budget: bool,
    ) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        let remote = RemoteCommand::Resume {
            by: by.clone(),
            past_budget,
        };
        let resume = Command::Resume {
            by,
            past_budget,
            reply,
        };
        self.live_command(session_id, resume, answer, remote).await
    }

    /// Keeps a member's choice for the session's agent and, when the agent
    /// runs, asks it to switch now; otherwise the next run starts with it.
    pub async fn choose(
        &self,
        session_id: &SessionId,
        choice: Choice,
    ) -> Result<ChoiceApplied, SessionError> {
        self.ctx.store.set_choice(session_id, &choice).await?;
        self.choose_via(session_id, choice, Reach::Anywhere).await
    }

    pub(super) async fn choose_via(
        &self,
        session_id: &SessionId,
        choice: Choice,
        reach: Reach,
    ) -> Result<ChoiceApplied, SessionError> {
        let (reply, answer) = oneshot::channel();
        let remote = RemoteCommand::Choose {
            choice: choice.clone(),
        };
        match self
            .registry
            .send(session_id, Command::Choose { choice, reply })
        {
            Ok(()) => Ok(answer.await.unwrap_or(ChoiceApplied::NextRun)),
            Err(SendError::Busy(_)) => Err(SessionError::Busy),
            Err(SendError::NoActor(_)) => match self.owner_elsewhere(session_id, reach).await? {
                Some(node) => match self.forward(&node, session_id, &remote).await? {
                    RemoteReply::Chosen { applied } => Ok(applied),
                    other => Err(session_refusal(other)),
                },
                None => Ok(ChoiceApplied::NextRun),
            },
        }
    }

    /// Sends a command only a live session takes: to its actor here, or
    /// to the server that runs it.
    async fn live_command(
        &self,
        session_id: &SessionId,
        command: Command,
        answer: oneshot::Receiver<Result<(), SessionError>>,
        remote: RemoteCommand,
    ) -> Result<(), SessionError> {
        self.live_command_via(session_id, command, answer, remote, Reach::Anywhere)
            .await
    }

    pub(super) async fn live_command_via(
        &self,
        session_id: &SessionId,
        command: Command,
        answer: oneshot::Receiver<Result<(), SessionError>>,
        remote: RemoteCommand,
        reach: Reach,
    ) -> Result<(), SessionError> {
        match self.registry.send(session_id, command) {
            Ok(()) => answer.await.map_err(|_| SessionError::NotRunning)?,
            Err(SendError::Busy(_)) => Err(SessionError::Busy),
            Err(SendError::NoActor(_)) => {
                if let Some(node) = self.owner_elsewhere(session_id, reach).await? {
                    return match self.forward(&node, session_id, &remote).await? {
                        RemoteReply::Done => Ok(()),
                        other => Err(session_refusal(other)),
                    };
                }
                match self.ctx.store.get_session(session_id).await? {
                    Some(_) => Err(SessionError::NotRunning),
                    None => Err(SessionError::NotFound),
                }
            }
        }
    }

    /// The live server other than this one that the assistant's runner is
    /// linked to: its sessions start and resume there.
    async fn runner_elsewhere(
        &self,
        assistant_id: &AssistantId,
        reach: Reach,
    ) -> Result<Option<String>, SessionError> {
        let cluster = &self.ctx.cluster;
        if reach == Reach::HereOnly || !cluster.is_shared() {
            return Ok(None);
        }
        let Some(runner_id) = self.ctx.store.assistant_runner(assistant_id).await? else {
            return Ok(None);
        };
        if self.ctx.runners.is_linked(&runner_id) {
            return Ok(None);
        }
        let Some(node) = self
            .ctx
            .store
            .get_runner(&runner_id)
            .await?
            .and_then(|record| record.node_id)
        else {
            return Ok(None);
        };
        if node == cluster.node_id {
            return Ok(None);
        }
        let alive = self
            .ctx
            .store
            .nodes()
            .await?
            .into_iter()
            .any(|n| n.id == node && n.seen_at > cluster.fresh_after());
        Ok(alive.then_some(node))
    }

    /// The live server other than this one that runs the session, when a
    /// command may go there.
    async fn owner_elsewhere(
        &self,
        session_id: &SessionId,
        reach: Reach,
    ) -> Result<Option<String>, SessionError> {
        if reach == Reach::HereOnly {
            return Ok(None);
        }
        Ok(self.ctx.cluster.owner_elsewhere(session_id).await?)
    }

    /// A message for the session, to the server that runs it (or will).
    async fn forward_send(
        &self,
        node: &str,
        session_id: &SessionId,
        text: String,
        author: Option<String>,
        interrupt: bool,
    ) -> Result<Delivery, SessionError> {
        let command = RemoteCommand::Send {
            text,
            author,
            interrupt,
        };
        match self.forward(node, session_id, &command).await? {
            RemoteReply::Delivered { delivery } => Ok(delivery),
            other => Err(session_refusal(other)),
        }
    }

    async fn forward(
        &self,
        node: &str,
        session_id: &SessionId,
        command: &RemoteCommand,
    ) -> Result<RemoteReply, SessionError> {
        self.ctx
            .cluster
            .forward(node, session_id, command)
            .await
            .map_err(|error| SessionError::Elsewhere(error.to_string()))
    }

    async fn resume(
        &self,
        session_id: &SessionId,
        text: String,
        author: Option<String>,
        interrupt: bool,
        reach: Reach,
    ) -> Result<Delivery, SessionError> {
        let record = self
            .ctx
            .store
            .get_session(session_id)
            .await?
            .ok_or(SessionError::NotFound)?;
        let assistant = self
            .ctx
            .store
            .get_assistant(&record.summary.assistant_id)
            .await?
            .ok_or(SessionError::AssistantNotFound)?;
        if self.ctx.shutdown.has_begun() {
            return Err(SessionError::ShuttingDown);
        }
        if let Some(worktree) = self.ctx.store.worktree_of(session_id).await? {
            if worktree.state.is_landed() {
                return Err(SessionError::NotNow(format!(
                    "this session's change was {} ({}); start a new session to go on",
                    worktree.state.as_str(),
                    worktree.outcome.unwrap_or_default()
                )));
            }
        }
        if let Some(node) = self.runner_elsewhere(&assistant.id, reach).await? {
            return self
                .forward_send(&node, session_id, text, author, interrupt)
                .await;
        }
        if let Claim::Elsewhere(node) = self.ctx.cluster.claim(session_id, &assistant.id).await? {
            // Another server resumed it a moment ago: the message goes there.
            if reach == Reach::HereOnly || node.is_empty() {
                return Err(SessionError::Busy);
            }
            return self
                .forward_send(&node, session_id, text, author, interrupt)
                .await;
        }
        let Some(mailbox) = self.registry.register(session_id, &assistant.id) else {
            // Another request resumed it a moment ago: join that run.
            return Box::pin(self.send_message_via(session_id, &text, author, interrupt, reach))
                .await;
        };
        let actor = SessionActor::new(
            self.ctx.clone(),
            self.registry.clone(),
            mailbox,
            record,
            assistant,
            Some((text, author)),
            "A person sent a follow-up into this session after it had ended; it follows."
                .to_owned(),
        );
        supervisor::spawn(&self.ctx, &self.registry, actor);
        Ok(Delivery::Resumed)
    }

    pub async fn decide(
        &self,
        approval_id: &ApprovalId,
        option_id: &str,
        by: Option<String>,
    ) -> Result<DecisionResult, DecideError> {
        self.decide_via(approval_id, option_id, by, Reach::Anywhere)
            .await
    }

    pub(super) async fn decide_via(
        &self,
        approval_id: &ApprovalId,
        option_id: &str,
        by: Option<String>,
        reach: Reach,
    ) -> Result<DecisionResult, DecideError> {
        let record = self
            .ctx
            .store
            .get_approval(approval_id)
            .await?
            .ok_or(DecideError::NotFound)?;
        if record.state != ApprovalState::Pending {
            return Err(DecideError::AlreadySettled {
                state: record.state.as_str().to_owned(),
                by: record.decided_by.unwrap_or_else(|| "Tandem".to_owned()),
            });
        }
        let (reply, answer) = oneshot::channel();
        let remote = RemoteCommand::Decide {
            approval_id: approval_id.clone(),
            option_id: option_id.to_owned(),
            by: by.clone(),
        };
        let command = Command::Decide {
            approval_id: approval_id.clone(),
            option_id: option_id.to_owned(),
            by,
            reply,
        };
        match self.registry.send(&record.session_id, command) {
            Ok(()) => answer.await.map_err(|_| DecideError::Busy)?,
            Err(SendError::Busy(_)) => Err(DecideError::Busy),
            Err(SendError::NoActor(_)) => {
                let elsewhere = self
                    .owner_elsewhere(&record.session_id, reach)
                    .await
                    .map_err(|error| DecideError::Elsewhere(error.to_string()))?;
                match elsewhere {
                    // The agent that asked runs on another server.
                    Some(node) => match self
                        .forward(&node, &record.session_id, &remote)
                        .await
                        .map_err(|error| DecideError::Elsewhere(error.to_string()))?
                    {
                        RemoteReply::Decided { result } => Ok(result),
                        RemoteReply::Refused { refusal } => Err(decide_refusal(refusal)),
                        other => Err(DecideError::Elsewhere(format!(
                            "unexpected answer {other:?}"
                        ))),
                    },
                    // Pending in the store but no actor: the server
                    // restarted without the start-up sweep reaching it.
                    // Nobody waits on it.
                    None => Err(DecideError::NotFound),
                }
            }
        }
    }

    pub async fn stop(
        &self,
        session_id: &SessionId,
        by: Option<String>,
    ) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        let remote = RemoteCommand::Stop { by: by.clone() };
        self.live_command(session_id, Command::Stop { by, reply }, answer, remote)
            .await
    }

    /// Sessions the store calls live that no server runs: at start-up on
    /// SQLite every one (no actor runs yet: a stop or crash cut them off);
    /// on a shared database those whose server stopped renewing its lease
    /// (or this server's earlier life), taken once whichever server looks.
    /// Each becomes `interrupted`, its pending approvals `expired`, both
    /// recorded in the transcript. Returns their assistants.
    pub async fn interrupt_orphans(&self) -> Result<Vec<AssistantId>, StoreError> {
        let cluster = self.ctx.cluster.clone();
        let orphans = if cluster.is_shared() {
            let taken = cluster
                .take_orphans(self.ctx.runners.timeout)
                .await
                .map_err(|error| match error {
                    crate::cluster::ClusterError::Store(error) => error,
                    other => StoreError::Corrupt(other.to_string()),
                })?;
            let mut records = Vec::new();
            for id in taken {
                match self.ctx.store.get_session(&id).await? {
                    Some(record) if record.summary.status.is_live() => records.push(record),
                    // It ended on its own before its server went.
                    _ => cluster.release(&id).await,
                }
            }
            records
        } else {
            self.ctx.store.live_sessions().await?
        };
        let mut freed = Vec::new();
        for record in &orphans {
            let id = &record.summary.id;
            let now = self.ctx.clock.now_ms();
            let expired = self
                .ctx
                .store
                .settle_pending_approvals(id, ApprovalState::Expired, now)
                .await?;
            let mut bodies: Vec<EventBody> = expired
                .into_iter()
                .map(|approval_id| EventBody::PermissionDecision {
                    approval_id,
                    outcome: DecisionOutcome::Cancelled {
                        reason: "the server restarted; the agent that asked is gone".into(),
                    },
                    by: None,
                })
                .collect();
            bodies.push(EventBody::StatusChange {
                status: SessionStatus::Interrupted,
                reason: Some("the server stopped while this session was live".into()),
            });
            let events = TranscriptEvent::numbered(id, record.summary.last_seq, now, bodies);
            self.ctx.store.append_events(id, &events).await?;
            // Its runs' agents are nobody's now, and their tokens open nothing.
            self.ctx.store.forget_runs_of(id).await?;
            cluster.release(id).await;
            if let Some(after) = self.ctx.store.get_session(id).await? {
                self.ctx.hub.publish_session(after.summary);
            }
            self.ctx.hub.approvals_changed();
            if !freed.contains(&record.summary.assistant_id) {
                freed.push(record.summary.assistant_id.clone());
            }
        }
        Ok(freed)
    }
}

fn validate_message(text: &str) -> Result<String, SessionError> {
    if text.trim().is_empty() {
        return Err(SessionError::Invalid("the message is empty".into()));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(SessionError::Invalid(format!(
            "the message is longer than {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}
