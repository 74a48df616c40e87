//! The session actor: one tokio task per live session (invariant 2). It
//! owns the session's log and queue of follow-ups, runs the agent one run at
//! a time (`run.rs`), and between runs concludes each one: its summary, its
//! final status, and the report to the wake dispatcher.

use super::command::{Command, DecideError, SessionError};
use super::ending::{storage_reason, Ending};
use super::live::LiveSession;
use super::registry::Registry;
use super::run::AgentRun;
use super::summary;
use super::{Context, Lifecycle};
use crate::store::SessionRecord;
use std::sync::Arc;
use tandem_shared::agent_state::ChoiceApplied;
use tandem_shared::api::{Assistant, Delivery};
use tandem_shared::{EventBody, SessionStatus};
use tokio::sync::mpsc;

pub struct SessionActor {
    session: LiveSession,
    registry: Arc<Registry>,
    /// The message this run was started with, queued when it runs.
    first_message: Option<(String, Option<String>)>,
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
        SessionActor {
            session: LiveSession::new(ctx, mailbox, record, assistant, why),
            registry,
            first_message,
        }
    }

    /// The first run goes on with a runner's agent another server started.
    pub fn adopting(mut self, adopted: super::adopted::Adopted) -> SessionActor {
        self.session.adopted = Some(adopted);
        self
    }

    /// The agent session came from an earlier session of the assistant.
    pub fn continuing_from(mut self, title: Option<String>) -> SessionActor {
        self.session.known.inherited_from = title;
        self
    }

    pub fn session_id(&self) -> &tandem_shared::SessionId {
        &self.session.log.summary.id
    }

    pub async fn run(mut self) {
        // Follow-ups left queued by a crash go first, then this run's own.
        if let Err(error) = self.session.follow_ups.load_left_over().await {
            tracing::error!(session = %self.session.log.summary.id, %error, "could not read queued follow-ups");
        }
        if let Some((text, author)) = self.first_message.take() {
            if let Err(error) = self
                .session
                .follow_ups
                .enqueue(text.clone(), author.clone(), false)
                .await
            {
                tracing::error!(session = %self.session.log.summary.id, %error, "could not queue the first message");
                // Still run it: the message is in memory.
                self.session.follow_ups.push_unsaved(text, author);
            }
        }
        loop {
            self.session.refresh_assistant().await;
            let ending = AgentRun::execute(&mut self.session).await;
            if ending.is_handed_over() {
                self.handed_over().await;
                return;
            }
            if ending.is_shutdown() {
                self.interrupted_by_shutdown(&ending).await;
                return;
            }
            self.record_undelivered().await;
            let (ending, summary) = self.conclude(&ending);
            if let Err(error) = self.session.log.store_staged().await {
                tracing::error!(session = %self.session.log.summary.id, %error, "could not store the end of a session");
                // The log cannot take the end, but people must still learn
                // the session stopped and why; after a restart the store
                // says `interrupted`, which is resumable.
                self.session.log.discard_staged();
                self.session.log.summary.status = ending.status;
                self.session.log.summary.status_reason = ending
                    .reason
                    .clone()
                    .or_else(|| Some(storage_reason(&error.explain())));
                self.session
                    .ctx
                    .hub
                    .publish_session(self.session.log.summary.clone());
            }
            let finished = self.take_late_commands().await;
            if finished {
                // Before the report: the dispatcher of any server then sees
                // the session as not live.
                self.session
                    .ctx
                    .cluster
                    .release(&self.session.log.summary.id)
                    .await;
            }
            // Reported after the registry knows whether this actor goes on,
            // so the dispatcher sees the assistant free exactly when it is.
            let report = Lifecycle::Ended {
                assistant_id: self.session.assistant.id.clone(),
                session_id: self.session.log.summary.id.clone(),
                title: self.session.log.summary.title.clone(),
                status: ending.status,
                reason: ending.reason.clone(),
                summary,
            };
            if self.session.ctx.lifecycle.send(report).await.is_err() {
                tracing::debug!(session = %self.session.log.summary.id, "no dispatcher to report to");
            }
            if finished {
                return;
            }
        }
    }

    /// Commands that arrived after the end of a run: a message resumes the
    /// session (the loop runs again); anything else is answered "not
    /// running". Returns true once the actor has left the registry.
    async fn take_late_commands(&mut self) -> bool {
        loop {
            match self.session.mailbox.try_recv() {
                // Nothing left to interrupt: it simply resumes the session.
                Ok(Command::Send {
                    text,
                    author,
                    reply,
                    ..
                }) => {
                    let answer = match self.session.follow_ups.enqueue(text, author, false).await {
                        Ok(()) => Ok(Delivery::Resumed),
                        Err(error) => Err(SessionError::Store(error)),
                    };
                    let _ = reply.send(answer);
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
                // Stored already: the next run starts with it.
                Ok(Command::Choose { reply, .. }) => {
                    let _ = reply.send(ChoiceApplied::NextRun);
                }
                Ok(Command::LetGo { reply, .. }) => {
                    let _ = reply.send(None);
                }
                Err(_) => {
                    if !self.session.follow_ups.is_empty() {
                        return false;
                    }
                    if self
                        .registry
                        .finish(&self.session.log.summary.id, &self.session.mailbox)
                    {
                        return true;
                    }
                }
            }
        }
    }

    /// Messages the agent never took are recorded, not retried: a failing
    /// agent must not turn into a loop of failing runs.
    async fn record_undelivered(&mut self) {
        let undelivered = self.session.follow_ups.take_all();
        if undelivered.is_empty() {
            return;
        }
        for message in undelivered {
            if let Err(error) = self.session.follow_ups.delivered(&message).await {
                tracing::error!(session = %self.session.log.summary.id, %error, "could not unqueue a message");
            }
            self.session.log.stage(EventBody::UserMessage {
                text: message.text,
                author: message.author,
            });
        }
        self.session.log.stage(EventBody::Error {
            message: "The message above was not delivered: the session ended first.".into(),
        });
    }

    /// Tandem is stopping: the session becomes `interrupted` (resumable),
    /// queued follow-ups stay queued in the store for the next run, and no
    /// summary is posted — the work did not end, it was cut off.
    async fn interrupted_by_shutdown(&mut self, ending: &Ending) {
        self.session
            .log
            .set_status(ending.status, ending.reason.clone());
        self.store_and_leave("could not record the shutdown").await;
    }

    /// Another server took the run over: what is staged is stored, the
    /// session leaves this server (its queued follow-ups stay queued in
    /// the store for the new owner), and nothing is concluded.
    async fn handed_over(&mut self) {
        self.store_and_leave("could not store a handed-over run's last events")
            .await;
    }

    /// Stores what is staged and leaves this server without concluding
    /// anything (the session is cut off, or goes on elsewhere).
    async fn store_and_leave(&mut self, failure: &str) {
        if let Err(error) = self.session.log.store_staged().await {
            tracing::error!(session = %self.session.log.summary.id, %error, "{failure}");
        }
        self.registry.remove(&self.session.log.summary.id);
        self.session
            .ctx
            .cluster
            .release(&self.session.log.summary.id)
            .await;
    }

    /// Stages the end of a run: its error, summary and final status. Returns
    /// the ending (failing tests turn a completion into a failure) and the
    /// summary text.
    fn conclude(&mut self, ending: &Ending) -> (Ending, String) {
        let outcome = self.session.log.take_outcome().finish();
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
                self.session.log.stage(EventBody::Error {
                    message: reason.clone(),
                });
            }
        }
        let text = summary::summary_text(&outcome, ending.status, ending.reason.as_deref());
        self.session
            .log
            .stage(EventBody::Summary { text: text.clone() });
        self.session
            .log
            .set_status(ending.status, ending.reason.clone());
        (ending, text)
    }
}
