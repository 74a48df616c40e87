//! The turns of a run: each queued message becomes the transcript's next
//! user message and one `session/prompt`, and the stop reason decides
//! whether the run goes on. Real agents' quirks live here: a turn the
//! agent cancels itself (Codex's reject), and a prompt swallowed right
//! after a cancel (Claude's adapter).

use super::ending::Ending;
use super::run::{AgentRun, Phase};
use crate::acp::schema as acp;
use tandem_shared::{EventBody, SessionStatus};

impl AgentRun<'_> {
    /// Delivers queued messages one turn at a time.
    pub(super) async fn turns(&mut self, agent_session: &str) -> Ending {
        while let Some(message) = self.session.follow_ups.pop_front() {
            if let Some(stopping) = &self.stopping {
                self.session.follow_ups.push_front(message);
                return stopping.ending.clone();
            }
            let text = message.text.clone();
            self.turn_by = message.author.clone();
            self.session.log.stage(EventBody::UserMessage {
                text: text.clone(),
                author: message.author.clone(),
            });
            self.session.log.set_status(SessionStatus::Running, None);
            if let Err(ending) = self.session.log.flush().await {
                return ending;
            }
            // In the transcript now: no longer queued. (A crash between the
            // two delivers it again rather than never.)
            if let Err(error) = self.session.follow_ups.delivered(&message).await {
                return Ending::storage(error.explain());
            }
            // A cold start's first prompt carries the context block first.
            let mut blocks = Vec::new();
            if let Some(context) = self.context_for_next_prompt.take() {
                blocks.push(acp::ContentBlock::from(context));
            }
            blocks.push(acp::ContentBlock::from(text));
            let stop_reason = match self.prompt(agent_session, blocks).await {
                Ok(stop_reason) => stop_reason,
                Err(ending) => return ending,
            };
            if let Some(ending) = self.after_turn(stop_reason) {
                return ending;
            }
        }
        Ending::completed()
    }

    /// A turn's answer came: whether the run ends with it.
    pub(super) fn after_turn(&mut self, stop_reason: Option<acp::StopReason>) -> Option<Ending> {
        if let Some(stopping) = &self.stopping {
            return Some(stopping.ending.clone());
        }
        // The turn is over: what it left open will not finish.
        self.session.log.close_open_tool_calls();
        let interrupted = std::mem::take(&mut self.interrupted);
        if stop_reason == Some(acp::StopReason::Cancelled)
            && !interrupted
            && self.session.follow_ups.is_empty()
        {
            // The agent ended its own turn (Codex's only "reject" does):
            // say so, and why, rather than "finished".
            return Some(Ending::cancelled_by_agent(
                self.session.log.last_rejection(),
            ));
        }
        turn_ending(stop_reason)
    }

    /// One prompt, and its stop reason. Right after a cancel, an agent may
    /// end the next turn at once without a word (Claude's adapter answers
    /// `end_turn` in milliseconds): the message is sent once more, and if
    /// the agent again says nothing, the transcript says it went
    /// unanswered.
    async fn prompt(
        &mut self,
        agent_session: &str,
        blocks: Vec<acp::ContentBlock>,
    ) -> Result<Option<acp::StopReason>, Ending> {
        let after_cancel = std::mem::take(&mut self.after_cancel);
        let mut sent = 0;
        loop {
            let prompt = acp::PromptRequest::new(agent_session.to_owned(), blocks.clone());
            if let Err(error) = self
                .session
                .ctx
                .store
                .count_agent_turn(&self.session.log.summary.id)
                .await
            {
                return Err(Ending::storage(error.explain()));
            }
            self.session.known.turns += 1;
            self.heard = 0;
            let answer = self
                .call("session/prompt", prompt, Phase::Turn, None)
                .await?;
            self.remote_prompt(None).await;
            sent += 1;
            if let Some(tokens) = super::spending::turn_tokens(&answer) {
                self.stage_spend(tokens, None);
            }
            let stop_reason = serde_json::from_value::<acp::PromptResponse>(answer)
                .map(|response| response.stop_reason)
                .ok();
            let unanswered = after_cancel
                && self.heard == 0
                && self.stopping.is_none()
                && stop_reason == Some(acp::StopReason::EndTurn);
            if !unanswered {
                return Ok(stop_reason);
            }
            if sent == 1 {
                self.session.log.stage(EventBody::StatusChange {
                    status: SessionStatus::Running,
                    reason: Some(
                        "the agent ended the turn after the cancel without a word; \
                         the message was sent again"
                            .into(),
                    ),
                });
                continue;
            }
            self.session.log.stage(EventBody::Error {
                message: "The agent ended its turn without answering the message above.".into(),
            });
            return Ok(stop_reason);
        }
    }
}

/// How a turn's stop reason ends the run, if it does.
fn turn_ending(stop_reason: Option<acp::StopReason>) -> Option<Ending> {
    match stop_reason {
        Some(acp::StopReason::EndTurn) | Some(acp::StopReason::Cancelled) => None,
        Some(acp::StopReason::Refusal) => Some(Ending::failed("the agent refused")),
        Some(acp::StopReason::MaxTokens) => Some(Ending::failed("the agent ran out of tokens")),
        Some(acp::StopReason::MaxTurnRequests) => Some(Ending::failed(
            "the agent reached its limit of requests for a turn",
        )),
        _ => Some(Ending::failed(
            "the agent ended its turn without a stop reason",
        )),
    }
}
