//! What people do to a running agent, through the session's mailbox:
//! follow-ups (queued, or interrupting the turn), decisions on approvals,
//! pause and resume (the process group frozen and thawed), and stop (or
//! Tandem's own shutdown): cancel, then a grace, then the run ends.

use super::command::{Command, SessionError};
use super::ending::Ending;
use super::run::{AgentRun, Phase, Step, Stopping};
use crate::acp::schema as acp;
use tandem_shared::agent_state::ChoiceApplied;
use tandem_shared::api::Delivery;
use tandem_shared::{EventBody, SessionStatus};
use tokio::time::Instant;

impl AgentRun<'_> {
    /// A command from the mailbox while the agent runs.
    pub(super) async fn on_command(&mut self, command: Command, phase: Phase) -> Step {
        match command {
            Command::Send {
                text,
                author,
                interrupt,
                reply,
            } => {
                let queued = self
                    .session
                    .follow_ups
                    .enqueue(text, author.clone(), interrupt)
                    .await;
                if let Err(error) = queued {
                    tracing::error!(session = %self.session.log.summary.id, %error, "could not queue a message");
                    // An interrupt says why; a plain follow-up reads as busy.
                    if interrupt {
                        let _ = reply.send(Err(SessionError::Store(error)));
                    }
                    return Step::Continue;
                }
                if interrupt && phase == Phase::Turn {
                    self.interrupt(&author).await;
                }
                let _ = reply.send(Ok(Delivery::Queued));
                Step::Continue
            }
            Command::Choose { choice, reply } => {
                self.choose(choice).await;
                let _ = reply.send(ChoiceApplied::Now);
                Step::Continue
            }
            Command::LetGo { process, reply } => {
                let ours = self
                    .conn
                    .remote_lines()
                    .is_some_and(|(ours, _)| ours == process);
                // Only once the agent's session is open: the new owner
                // continues it, it does not open it.
                if ours && self.agent_session.is_some() {
                    let _ = reply.send(Some(self.conn.unwritten()));
                    return Step::End(super::ending::Ending::handed_over());
                }
                let _ = reply.send(None);
                Step::Continue
            }
            Command::Pause { by, reply } => {
                let _ = reply.send(self.pause(phase, by));
                Step::Continue
            }
            Command::Resume {
                by,
                past_budget,
                reply,
            } => {
                let answer = match self.paused {
                    Some(_) => {
                        self.past_budget |= past_budget;
                        let what = if past_budget {
                            "resumed past the budget"
                        } else {
                            "resumed"
                        };
                        self.thaw(&by, what);
                        Ok(())
                    }
                    None => Err(SessionError::NotNow("the session is not paused".into())),
                };
                let _ = reply.send(answer);
                Step::Continue
            }
            Command::Decide {
                approval_id,
                option_id,
                by,
                reply,
            } => {
                let log = &mut self.session.log;
                let result = self
                    .permissions
                    .decide(log, &mut self.conn, approval_id, option_id, by)
                    .await;
                if result.is_ok() && self.permissions.is_empty() {
                    self.set_live_status(SessionStatus::Running, None);
                }
                let _ = reply.send(result);
                Step::Continue
            }
            Command::Stop { by, reply } => {
                let _ = reply.send(Ok(()));
                // A frozen agent cannot end its turn: let it run to hear the cancel.
                self.thaw(&by, "resumed to stop");
                let grace = self.session.ctx.config.cancel_grace;
                self.begin_stop(Ending::stopped(by), phase, grace).await
            }
        }
    }

    /// Interrupt and send: the turn is cancelled, its approvals with it,
    /// and the queued message goes next.
    async fn interrupt(&mut self, author: &Option<String>) {
        self.thaw(author, "interrupted");
        let who = author
            .as_ref()
            .map(|a| format!(" by {a}"))
            .unwrap_or_default();
        let reason = format!("turn interrupted{who}");
        // Always on the record, even when the status stays Running.
        self.session.log.stage(EventBody::StatusChange {
            status: SessionStatus::Running,
            reason: Some(reason.clone()),
        });
        self.permissions
            .settle_all(&mut self.session.log, Some(&mut self.conn), &reason)
            .await;
        self.cancel_turn().await;
        // The turn's `cancelled` is ours; the next prompt follows a cancel.
        self.interrupted = true;
        self.after_cancel = true;
    }

    /// Ends the run with `ending`: at once while the agent is starting; in
    /// a turn, after the agent answers `session/cancel` or `grace` passes.
    pub(super) async fn begin_stop(
        &mut self,
        ending: Ending,
        phase: Phase,
        grace: std::time::Duration,
    ) -> Step {
        if phase != Phase::Turn {
            return Step::End(ending);
        }
        let until = Instant::now() + grace;
        // A second stop (or a shutdown during a person's stop) only
        // shortens the wait; the first reason stands.
        if let Some(earlier) = &mut self.stopping {
            earlier.until = earlier.until.min(until);
            return Step::Continue;
        }
        self.thaw(&None, "resumed to stop");
        let reason = ending.reason.clone().unwrap_or_default();
        self.stopping = Some(Stopping { ending, until });
        self.cancel_turn().await;
        self.permissions
            .settle_all(&mut self.session.log, Some(&mut self.conn), &reason)
            .await;
        Step::Continue
    }

    async fn cancel_turn(&mut self) {
        if let Some(agent_session) = self.session.known.id.clone() {
            let cancel = acp::CancelNotification::new(agent_session);
            // An agent that is gone ends the turn anyway.
            let _ = self.conn.notify("session/cancel", cancel).await;
        }
    }

    fn pause(&mut self, phase: Phase, by: Option<String>) -> Result<(), SessionError> {
        let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
        self.pause_because(phase, format!("paused{who}"))
    }

    /// Freezes the agent, with the reason everyone sees.
    pub(super) fn pause_because(
        &mut self,
        phase: Phase,
        reason: String,
    ) -> Result<(), SessionError> {
        if phase != Phase::Turn {
            return Err(SessionError::NotNow(
                "the agent is still starting; pause it once it runs".into(),
            ));
        }
        if self.paused.is_some() {
            return Err(SessionError::NotNow("the session is paused already".into()));
        }
        if !self.conn.signal(nix::sys::signal::Signal::SIGSTOP) {
            return Err(SessionError::NotNow(
                "the agent process could not be paused".into(),
            ));
        }
        self.paused = Some(self.session.log.current_status());
        self.session
            .log
            .set_status(SessionStatus::Paused, Some(reason));
        Ok(())
    }

    /// Continues a paused agent, recording who did it and why.
    pub(super) fn thaw(&mut self, by: &Option<String>, what: &str) {
        let Some(before) = self.paused.take() else {
            return;
        };
        self.conn.signal(nix::sys::signal::Signal::SIGCONT);
        let who = by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default();
        self.session
            .log
            .set_status(before, Some(format!("{what}{who}")));
    }

    /// A live status change that waits while the session is paused: it
    /// becomes the status a resume goes back to.
    pub(super) fn set_live_status(&mut self, status: SessionStatus, reason: Option<String>) {
        match &mut self.paused {
            Some(before) => *before = status,
            None => self.session.log.set_status(status, reason),
        }
    }
}
