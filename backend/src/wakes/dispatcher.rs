//! The wake dispatcher: one task, fed by wake requests and by session
//! actors' lifecycle messages.

use super::queue_rule::{self, Placement, Running};
use crate::session::{Context, Lifecycle, SessionError, Sessions, StartRequest};
use crate::store::StoreError;
use std::sync::Arc;
use tandem_shared::api::{
    ChatAuthorKind, ChatMessage, JournalEntry, Task, TaskStatus, Wake, WakeState, WakeTrigger,
};
use tandem_shared::{AssistantId, SessionId, SessionStatus};
use tokio::sync::{mpsc, oneshot};

const REQUEST_QUEUE: usize = 256;

#[derive(Debug, Clone)]
pub struct WakeRequest {
    pub assistant_id: AssistantId,
    pub trigger: WakeTrigger,
    /// Who or what sent it.
    pub source: String,
    pub message: String,
    pub task_id: Option<String>,
    /// A title better than the message (a task's).
    pub title: Option<String>,
    /// Its pre-check said there is nothing to do, and why: recorded as
    /// skipped, nothing started.
    pub skipped: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WakeError {
    #[error("no assistant with that id")]
    AssistantNotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("the assistant is archived; bring it back before waking it")]
    Archived,
    #[error("Tandem is shutting down")]
    Closed,
    /// A monthly budget is reached: the wake is refused, not started.
    #[error("{0}")]
    OverBudget(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The handle handlers use.
#[derive(Clone)]
pub struct Wakes {
    tx: mpsc::Sender<(WakeRequest, oneshot::Sender<Result<Wake, WakeError>>)>,
}

impl Wakes {
    pub async fn wake(&self, request: WakeRequest) -> Result<Wake, WakeError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((request, reply))
            .await
            .map_err(|_| WakeError::Closed)?;
        answer.await.map_err(|_| WakeError::Closed)?
    }
}

pub struct Dispatcher {
    ctx: Arc<Context>,
    sessions: Arc<Sessions>,
    requests: mpsc::Receiver<(WakeRequest, oneshot::Sender<Result<Wake, WakeError>>)>,
    lifecycle: mpsc::Receiver<Lifecycle>,
}

impl Dispatcher {
    pub fn new(
        ctx: Arc<Context>,
        sessions: Arc<Sessions>,
        lifecycle: mpsc::Receiver<Lifecycle>,
    ) -> (Dispatcher, Wakes) {
        let (tx, requests) = mpsc::channel(REQUEST_QUEUE);
        (
            Dispatcher {
                ctx,
                sessions,
                requests,
                lifecycle,
            },
            Wakes { tx },
        )
    }

    pub async fn run(mut self) {
        let shutdown = self.ctx.shutdown.clone();
        // Wakes a stop left queued (behind a session it cut off) start now,
        // in order, as their assistants are free.
        if let Err(error) = self.resume_queued().await {
            tracing::error!(%error, "could not resume queued wakes");
        }
        loop {
            tokio::select! {
                // What is queued stays queued in the store.
                _ = shutdown.begun() => return,
                request = self.requests.recv() => match request {
                    Some((request, reply)) => {
                        let result = self.on_wake(request).await;
                        let _ = reply.send(result);
                    }
                    None => return,
                },
                event = self.lifecycle.recv() => match event {
                    Some(event) => {
                        if let Err(error) = self.on_lifecycle(event).await {
                            tracing::error!(%error, "wake dispatcher");
                        }
                    }
                    None => return,
                },
            }
        }
    }

    async fn on_wake(&mut self, request: WakeRequest) -> Result<Wake, WakeError> {
        let message = request.message.trim().to_owned();
        if message.is_empty() {
            return Err(WakeError::Invalid("message: must not be empty".into()));
        }
        let store = &self.ctx.store;
        let assistant = store
            .get_assistant(&request.assistant_id)
            .await?
            .ok_or(WakeError::AssistantNotFound)?;
        if assistant.archived_at.is_some() {
            return Err(WakeError::Archived);
        }
        let now = self.ctx.clock.now_ms();
        let mut wake = Wake {
            id: self.ctx.ids.new_id("wk"),
            assistant_id: assistant.id.clone(),
            trigger: request.trigger,
            source: request.source.clone(),
            message: message.clone(),
            at: now,
            state: WakeState::Queued,
            session_id: None,
            task_id: request.task_id.clone(),
            reason: None,
        };
        store.add_wake(&wake).await?;
        if let Some(reason) = request.skipped {
            store
                .set_wake_outcome(&wake.id, WakeState::Skipped, &reason)
                .await?;
            wake.state = WakeState::Skipped;
            wake.reason = Some(reason);
            return Ok(wake);
        }
        if request.trigger == WakeTrigger::Chat {
            store
                .add_chat_message(&ChatMessage {
                    id: self.ctx.ids.new_id("msg"),
                    assistant_id: assistant.id.clone(),
                    at: now,
                    author_kind: ChatAuthorKind::Person,
                    author: request.source.clone(),
                    text: message.clone(),
                    session_id: None,
                })
                .await?;
        }
        // Servers on one database decide for an assistant one at a time.
        let lock = store.lock_assistant(&assistant.id).await?;
        let placed = self.place(&assistant, &request, &mut wake, &message).await;
        lock.release().await;
        placed?;
        Ok(wake)
    }

    /// Delivers, starts or queues a recorded wake by the queue rule.
    async fn place(
        &mut self,
        assistant: &tandem_shared::api::Assistant,
        request: &WakeRequest,
        wake: &mut Wake,
        message: &str,
    ) -> Result<(), WakeError> {
        let store = &self.ctx.store;
        let running = self.running(&assistant.id).await?;
        let slots = slots(assistant).await;
        match queue_rule::place(request.trigger, &running, slots) {
            Placement::Deliver(session_id) => {
                self.sessions
                    .send_message(&session_id, message, Some(request.source.clone()), false)
                    .await?;
                store
                    .set_wake_state(&wake.id, WakeState::Delivered, &session_id)
                    .await?;
                wake.state = WakeState::Delivered;
                wake.session_id = Some(session_id);
            }
            // Waits for a live session to end.
            Placement::Wait => {}
            Placement::Start => match self.start(wake, request.title.clone()).await {
                Ok(session_id) => {
                    wake.state = WakeState::Started;
                    wake.session_id = Some(session_id);
                }
                Err(WakeError::OverBudget(reason)) => self.refuse(wake, reason).await?,
                Err(error) => return Err(error),
            },
        }
        Ok(())
    }

    /// The assistant's live sessions (on any server), oldest first, and
    /// which are tasks'.
    async fn running(&self, assistant_id: &AssistantId) -> Result<Vec<Running>, WakeError> {
        let mut running = Vec::new();
        for id in self.live_of(assistant_id).await? {
            let for_task = !self.ctx.store.tasks_of_session(&id).await?.is_empty();
            running.push(Running { id, for_task });
        }
        Ok(running)
    }

    async fn live_of(&self, assistant_id: &AssistantId) -> Result<Vec<SessionId>, WakeError> {
        Ok(
            match self.ctx.cluster.live_sessions_of(assistant_id).await? {
                Some(everywhere) => everywhere,
                None => self.sessions.all_live_of(assistant_id),
            },
        )
    }

    async fn start(&mut self, wake: &Wake, title: Option<String>) -> Result<SessionId, WakeError> {
        let name = self
            .ctx
            .store
            .get_assistant(&wake.assistant_id)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let now = self.ctx.clock.now_ms();
        if let Some(reached) =
            crate::budgets::reached(&self.ctx.store, &wake.assistant_id, &name, now).await?
        {
            return Err(WakeError::OverBudget(reached.words()));
        }
        let why = match wake.trigger {
            WakeTrigger::Chat => {
                format!("{} wrote in your chat; the message follows.", wake.source)
            }
            WakeTrigger::Task => format!(
                "You were assigned a task by {}; its title and description follow.",
                wake.source
            ),
            WakeTrigger::Heartbeat => format!("{} sent you a heartbeat; it follows.", wake.source),
            WakeTrigger::Routine => {
                format!("Your routine {} fired; its prompt follows.", wake.source)
            }
        };
        let summary = self
            .sessions
            .start(StartRequest {
                assistant_id: wake.assistant_id.clone(),
                prompt: wake.message.clone(),
                author: Some(wake.source.clone()),
                why,
                title,
                continue_assistant: true,
            })
            .await?;
        let store = &self.ctx.store;
        store
            .set_wake_state(&wake.id, WakeState::Started, &summary.id)
            .await?;
        if let Some(task_id) = &wake.task_id {
            store.link_task_session(task_id, &summary.id).await?;
            if let Some(mut task) = store.get_task(task_id).await? {
                if task.status == TaskStatus::Todo {
                    task.status = TaskStatus::InProgress;
                    task.updated_at = self.ctx.clock.now_ms();
                    store.update_task(&task).await?;
                }
            }
        }
        Ok(summary.id)
    }

    async fn on_lifecycle(&mut self, event: Lifecycle) -> Result<(), WakeError> {
        match event {
            Lifecycle::Ended {
                assistant_id,
                session_id,
                title,
                status,
                reason,
                summary,
            } => {
                self.push_ending(&assistant_id, &session_id, &title, status, &summary)
                    .await;
                // A report that fails is recorded; it never holds up the
                // wakes queued behind the session.
                if let Err(error) = self
                    .report(&assistant_id, &session_id, &title, status, reason, summary)
                    .await
                {
                    tracing::error!(%error, session = %session_id, "could not report a session's end");
                    self.note(
                        &assistant_id,
                        format!("Could not post the summary of “{title}”: {error}."),
                    )
                    .await;
                }
                self.start_next(&assistant_id).await
            }
            Lifecycle::Freed { assistant_id } => self.start_next(&assistant_id).await,
        }
    }

    /// Tells the devices of those who see the assistant how the session
    /// ended (not a restart's interruption: nobody needs to act on it).
    async fn push_ending(
        &self,
        assistant_id: &AssistantId,
        session_id: &SessionId,
        title: &str,
        status: SessionStatus,
        summary: &str,
    ) {
        if !matches!(
            status,
            SessionStatus::Completed | SessionStatus::Failed | SessionStatus::Stopped
        ) {
            return;
        }
        let assistant = match self.ctx.store.get_assistant(assistant_id).await {
            Ok(Some(assistant)) => assistant.name,
            _ => String::new(),
        };
        self.ctx.push.to_assistant(
            assistant_id,
            tandem_shared::api::PushKind::Ended,
            crate::push::messages::ended(&assistant, title, session_id, status, summary),
        );
    }

    /// Posts the summary in the assistant's chat and moves linked tasks on;
    /// a failure files a follow-up task, or a journal note with no task.
    async fn report(
        &mut self,
        assistant_id: &AssistantId,
        session_id: &SessionId,
        title: &str,
        status: SessionStatus,
        reason: Option<String>,
        summary: String,
    ) -> Result<(), WakeError> {
        if crate::test_hooks::report_fails(&summary) {
            return Err(WakeError::Invalid("the store refused the write".into()));
        }
        let store = &self.ctx.store;
        let now = self.ctx.clock.now_ms();
        let author = store
            .get_assistant(assistant_id)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        // A session in its own worktree names its branch and what changed.
        let text = match crate::review::branch_line(&self.ctx, session_id).await {
            Some(line) => format!("{summary}\n\n{line}"),
            None => summary.clone(),
        };
        store
            .add_chat_message(&ChatMessage {
                id: self.ctx.ids.new_id("msg"),
                assistant_id: assistant_id.clone(),
                at: now,
                author_kind: ChatAuthorKind::Summary,
                author,
                text,
                session_id: Some(session_id.clone()),
            })
            .await?;
        let tasks = store.tasks_of_session(session_id).await?;
        match status {
            SessionStatus::Completed => {
                for mut task in tasks {
                    if matches!(task.status, TaskStatus::Todo | TaskStatus::InProgress) {
                        task.status = TaskStatus::InReview;
                        task.updated_at = now;
                        store.update_task(&task).await?;
                    }
                }
            }
            SessionStatus::Failed => {
                let why = reason.unwrap_or_else(|| "the session failed".into());
                if tasks.is_empty() {
                    store
                        .add_journal_entry(
                            assistant_id,
                            &JournalEntry {
                                id: self.ctx.ids.new_id("jnl"),
                                at: now,
                                text: format!("Session “{title}” failed: {why}."),
                            },
                        )
                        .await?;
                }
                for task in tasks {
                    // Unassigned on purpose: assigning it would wake the
                    // same failing run again.
                    store
                        .create_task(&Task {
                            id: self.ctx.ids.new_id("tsk"),
                            title: format!("Follow up: {}", task.title),
                            body: format!(
                                "The session for “{}” failed: {why}.\n\n{summary}",
                                task.title
                            ),
                            status: TaskStatus::Todo,
                            assignee_id: None,
                            parent_id: Some(task.id.clone()),
                            // Seen by those who saw the failed session.
                            private_to: task.private_to.clone().or(Some(assistant_id.clone())),
                            session_ids: vec![],
                            created_at: now,
                            updated_at: now,
                        })
                        .await?;
                }
            }
            // Stopped by a person, or cut off by a restart: nothing to file.
            _ => {}
        }
        Ok(())
    }

    async fn resume_queued(&mut self) -> Result<(), WakeError> {
        for assistant_id in self.ctx.store.assistants_with_queued_wakes().await? {
            if let Err(error) = self.start_next(&assistant_id).await {
                tracing::error!(%error, assistant = %assistant_id, "could not resume a queued wake");
            }
        }
        Ok(())
    }

    /// Starts the oldest queued wake of a free assistant. One that cannot
    /// start is marked failed, with the reason in the journal, and the next
    /// is tried: a bad wake never strands the ones behind it.
    async fn start_next(&mut self, assistant_id: &AssistantId) -> Result<(), WakeError> {
        let Some(assistant) = self.ctx.store.get_assistant(assistant_id).await? else {
            return Ok(());
        };
        let lock = self.ctx.store.lock_assistant(assistant_id).await?;
        let started = self.start_queued(&assistant).await;
        lock.release().await;
        started
    }

    async fn start_queued(
        &mut self,
        assistant: &tandem_shared::api::Assistant,
    ) -> Result<(), WakeError> {
        let assistant_id = &assistant.id;
        let slots = slots(assistant).await;
        for next in self.ctx.store.queued_wakes(assistant_id).await? {
            if self.live_of(assistant_id).await?.len() >= slots {
                return Ok(());
            }
            let title = match &next.task_id {
                Some(task_id) => self.ctx.store.get_task(task_id).await?.map(|t| t.title),
                None => None,
            };
            match self.start(&next, title).await {
                Ok(_) => continue,
                // Try again at the next start; nothing is wrong with the wake.
                Err(error @ (WakeError::Closed | WakeError::Store(_))) => return Err(error),
                Err(WakeError::Session(SessionError::ShuttingDown)) => return Ok(()),
                Err(WakeError::OverBudget(reason)) => {
                    let mut next = next;
                    self.refuse(&mut next, reason).await?;
                }
                Err(error) => {
                    self.ctx.store.set_wake_failed(&next.id).await?;
                    self.note(
                        assistant_id,
                        format!(
                            "Could not start the wake from {} (“{}”): {error}.",
                            next.source, next.message
                        ),
                    )
                    .await;
                }
            }
        }
        Ok(())
    }

    /// Records a wake as refused, with why, and says so in the chat.
    async fn refuse(&self, wake: &mut Wake, reason: String) -> Result<(), WakeError> {
        self.ctx
            .store
            .set_wake_outcome(&wake.id, WakeState::Refused, &reason)
            .await?;
        wake.state = WakeState::Refused;
        let notices = crate::budgets::Notices {
            store: &self.ctx.store,
            clock: self.ctx.clock.as_ref(),
            ids: self.ctx.ids.as_ref(),
            push: &self.ctx.push,
        };
        notices
            .chat(
                &wake.assistant_id,
                &format!(
                    "not woken by {} (“{}”): {reason}",
                    wake.source, wake.message
                ),
            )
            .await?;
        wake.reason = Some(reason);
        Ok(())
    }

    /// A line in the assistant's journal, as far as the store takes it.
    async fn note(&self, assistant_id: &AssistantId, text: String) {
        let entry = JournalEntry {
            id: self.ctx.ids.new_id("jnl"),
            at: self.ctx.clock.now_ms(),
            text,
        };
        if let Err(error) = self.ctx.store.add_journal_entry(assistant_id, &entry).await {
            tracing::error!(%error, "could not write a journal entry");
        }
    }
}

/// How many sessions the assistant may run at once: its `max_parallel`
/// when its sessions get worktrees of their own, else one.
async fn slots(assistant: &tandem_shared::api::Assistant) -> usize {
    let settings = assistant.sessions;
    if !settings.worktrees || settings.max_parallel <= 1 {
        return 1;
    }
    let workspace = std::path::Path::new(&assistant.workspace);
    if crate::worktrees::takes_worktrees(workspace).await {
        settings.max_parallel as usize
    } else {
        1
    }
}
