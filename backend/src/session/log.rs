//! A session's side of its transcript: events are staged, given their
//! `seq`, stored, and only then published (invariant 1). The session's
//! summary row (status, title, last `seq`) follows what was stored.

use super::ending::Ending;
use super::summary::{OutcomeBuilder, Rejection};
use super::Context;
use crate::hub::Batch;
use crate::store::AppendError;
use std::sync::Arc;
use tandem_shared::agent_state::AgentState;
use tandem_shared::api::SessionSummary;
use tandem_shared::{
    EventBody, Seq, SessionStatus, ToolCall, ToolCallPatch, ToolContent, ToolStatus,
    TranscriptEvent,
};

pub struct SessionLog {
    ctx: Arc<Context>,
    /// As stored: what the sidebar shows.
    pub summary: SessionSummary,
    seq: Seq,
    staged: Vec<EventBody>,
    /// What this run did so far, for its summary.
    outcome: OutcomeBuilder,
    /// What the agent said of itself (modes, options, usage, commands).
    pub agent: AgentState,
}

impl SessionLog {
    pub fn new(ctx: Arc<Context>, summary: SessionSummary) -> SessionLog {
        SessionLog {
            ctx,
            seq: summary.last_seq,
            summary,
            staged: Vec::new(),
            outcome: OutcomeBuilder::default(),
            agent: AgentState::default(),
        }
    }

    pub fn stage(&mut self, body: EventBody) {
        let body = match body {
            EventBody::ToolCallUpdate(patch) => EventBody::ToolCallUpdate(self.only_growth(patch)),
            other => other,
        };
        self.agent.apply(&body);
        self.staged.push(body);
    }

    /// An update that resends a call's whole output, grown at its end, is
    /// kept as what grew (`appended`): agents resend everything each time,
    /// and storing that would grow with the square of the output.
    fn only_growth(&self, mut patch: ToolCallPatch) -> ToolCallPatch {
        let Some([ToolContent::Text { text: new }]) = patch.content.as_deref() else {
            return patch;
        };
        let grown = {
            let in_burst = self.staged.iter().any(|body| match body {
                EventBody::ToolCall(call) => call.id == patch.id,
                EventBody::ToolCallUpdate(update) => update.id == patch.id,
                _ => false,
            });
            // Borrowed, not cloned, in the common case: this runs for every
            // chunk of a long output.
            let known;
            let before = if in_burst {
                known = self.known_call(&patch.id);
                Some(&known)
            } else {
                self.outcome.call(&patch.id)
            };
            before
                .and_then(ToolCall::output_text)
                .filter(|old| !old.is_empty())
                .and_then(|old| new.strip_prefix(old))
                .map(str::to_owned)
        };
        if let Some(more) = grown {
            patch.content = None;
            if !more.is_empty() {
                patch.appended = Some(more);
            }
        }
        patch
    }

    /// The call as stored and staged so far.
    fn known_call(&self, id: &str) -> ToolCall {
        let mut call = self
            .outcome
            .call(id)
            .cloned()
            .unwrap_or_else(|| ToolCall::empty(id));
        for body in &self.staged {
            match body {
                EventBody::ToolCall(announced) if announced.id == id => call = announced.clone(),
                EventBody::ToolCallUpdate(update) if update.id == id => call.apply(update),
                _ => {}
            }
        }
        call
    }

    /// Drops what is staged (it could not be stored).
    pub fn discard_staged(&mut self) {
        self.staged.clear();
    }

    pub fn set_status(&mut self, status: SessionStatus, reason: Option<String>) {
        if self.summary.status == status && self.staged_status().is_none() {
            return;
        }
        if self.staged_status() == Some(status) {
            return;
        }
        self.staged.push(EventBody::StatusChange { status, reason });
    }

    /// The status the staged events will leave the session in, else the
    /// stored one.
    pub fn current_status(&self) -> SessionStatus {
        self.staged_status().unwrap_or(self.summary.status)
    }

    fn staged_status(&self) -> Option<SessionStatus> {
        self.staged.iter().rev().find_map(|body| match body {
            EventBody::StatusChange { status, .. } => Some(*status),
            _ => None,
        })
    }

    /// The last rejection of this run, if any.
    pub fn last_rejection(&self) -> Option<&Rejection> {
        self.outcome.last_rejection()
    }

    /// Marks every tool call of this run still pending or running as not
    /// finished: the turn is over and the agent will say no more of them.
    pub fn close_open_tool_calls(&mut self) {
        let mut open: Vec<String> = self.outcome.open_calls().map(|c| c.id.clone()).collect();
        // What is staged is newer than what is stored.
        for body in &self.staged {
            let (id, status) = match body {
                EventBody::ToolCall(call) => (&call.id, Some(call.status)),
                EventBody::ToolCallUpdate(patch) => (&patch.id, patch.status),
                _ => continue,
            };
            match status {
                Some(status) if status.is_open() && !open.contains(id) => open.push(id.clone()),
                Some(status) if !status.is_open() => open.retain(|known| known != id),
                _ => {}
            }
        }
        for id in open {
            self.staged.push(EventBody::ToolCallUpdate(ToolCallPatch {
                id,
                status: Some(ToolStatus::NotFinished),
                ..Default::default()
            }));
        }
    }

    /// The outcome of this run so far, and a fresh one for the next.
    pub fn take_outcome(&mut self) -> OutcomeBuilder {
        std::mem::take(&mut self.outcome)
    }

    /// The tool call a permission request is about, as complete as this run
    /// knows it: what was announced, with the request's own fields over it.
    pub fn full_call(&self, patch: &ToolCallPatch) -> ToolCall {
        // Events not yet stored count: the announcement may be in the same
        // burst.
        let mut call = self.known_call(&patch.id);
        call.apply(patch);
        call
    }

    /// Stores what is staged, as a run's step: a failure ends the run.
    pub async fn flush(&mut self) -> Result<(), Ending> {
        self.store_staged()
            .await
            .map_err(|error| Ending::storage(error.explain()))
    }

    /// Gives the staged events their `seq`, stores them, and only then
    /// publishes them. The `seq` moves on only once the store has them.
    pub async fn store_staged(&mut self) -> Result<(), AppendError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let at = self.ctx.clock.now_ms();
        let events =
            TranscriptEvent::numbered(&self.summary.id, self.seq, at, self.staged.iter().cloned());
        self.ctx
            .appender
            .append(&self.summary.id, events.clone())
            .await?;
        self.staged.clear();
        if let Some(last) = events.last() {
            self.seq = last.seq;
        }
        let mut sidebar_changed = false;
        for event in &events {
            sidebar_changed |= self.summary.apply(event);
            self.outcome.push(&event.body);
        }
        self.ctx
            .hub
            .publish(Arc::new(Batch::new(self.summary.id.clone(), events)));
        if sidebar_changed {
            self.ctx.hub.publish_session(self.summary.clone());
        }
        Ok(())
    }
}
