//! What a live session holds while its actor runs it: its mailbox, its log,
//! its queue of follow-ups, what is known of the agent's own session, and
//! the assistant and agent it runs. The actor owns it; one run of the agent
//! borrows it.

use super::command::Command;
use super::continuity::KnownAgentSession;
use super::follow_ups::FollowUps;
use super::log::SessionLog;
use super::Context;
use crate::acp::connection::LaunchSpec;
use crate::store::SessionRecord;
use std::sync::Arc;
use tandem_shared::api::Assistant;
use tokio::sync::mpsc;

pub struct LiveSession {
    pub ctx: Arc<Context>,
    pub mailbox: mpsc::Receiver<Command>,
    pub log: SessionLog,
    pub follow_ups: FollowUps,
    /// The agent's own session from earlier runs, for a warm start.
    pub known: KnownAgentSession,
    pub assistant: Assistant,
    pub launch: LaunchSpec,
    /// Why this run was woken, for a cold start's context block.
    pub why: String,
    /// A runner's agent to go on with, taken over from another server.
    pub adopted: Option<super::adopted::Adopted>,
}

impl LiveSession {
    pub fn new(
        ctx: Arc<Context>,
        mailbox: mpsc::Receiver<Command>,
        record: SessionRecord,
        assistant: Assistant,
        why: String,
    ) -> LiveSession {
        let launch = crate::agents::launch_for(&assistant.agent, &ctx.config);
        LiveSession {
            log: SessionLog::new(ctx.clone(), record.summary.clone()),
            follow_ups: FollowUps::new(ctx.clone(), record.summary.id.clone()),
            known: KnownAgentSession {
                id: record.agent_session_id,
                fingerprint: record.agent_fingerprint,
                started_at: record.agent_started_at,
                turns: record.agent_turns,
                inherited_from: None,
            },
            why,
            adopted: None,
            ctx,
            mailbox,
            assistant,
            launch,
        }
    }

    /// Reads the assistant again before a run: between runs of a live
    /// session a person may have changed its agent, workspace, persona or
    /// constitution, and the run must start from what it is now.
    pub async fn refresh_assistant(&mut self) {
        match self.ctx.store.get_assistant(&self.assistant.id).await {
            Ok(Some(now)) => {
                self.launch = crate::agents::launch_for(&now.agent, &self.ctx.config);
                self.assistant = now;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(assistant = %self.assistant.id, %error, "could not read the assistant again; the run starts as it was");
            }
        }
    }
}
