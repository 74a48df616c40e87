//! What a run spends: a turn's tokens from its prompt result (`usage`),
//! and what the agent's running cost grew by (`usage_update.cost`, the
//! agent session's cumulative cost), each staged as a `spend` event that
//! names the agent, the model and who sent the message the turn answered.

use super::run::{AgentRun, Phase};
use crate::budgets::{self, Notices};
use serde::Deserialize;
use serde_json::Value;
use tandem_shared::budget::Standing;
use tandem_shared::spend::{Spend, Tokens};
use tandem_shared::EventBody;

/// A prompt result's `usage` (ACP, unstable: Claude's adapter sends it).
/// Every field may be missing; what is there counts.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TurnUsage {
    input_tokens: u64,
    output_tokens: u64,
    cached_read_tokens: u64,
    cached_write_tokens: u64,
    thought_tokens: u64,
}

/// The tokens a prompt result reports, if it reports any.
pub fn turn_tokens(result: &Value) -> Option<Tokens> {
    let usage = result.get("usage")?;
    let usage = TurnUsage::deserialize(usage).ok()?;
    let tokens = Tokens {
        input: usage.input_tokens,
        output: usage.output_tokens,
        cached_read: usage.cached_read_tokens,
        cached_write: usage.cached_write_tokens,
        thought: usage.thought_tokens,
    };
    (!tokens.is_zero()).then_some(tokens)
}

impl AgentRun<'_> {
    /// Stages a spend of this run.
    pub(super) fn stage_spend(&mut self, tokens: Tokens, cost: Option<(i64, String)>) {
        let (cost_micros, currency) = cost.map_or((0, None), |(m, c)| (m, Some(c)));
        if tokens.is_zero() && cost_micros == 0 {
            return;
        }
        // Tokens count too: the price table may turn them into cost.
        self.spent_since_check = true;
        let log = &mut self.session.log;
        let spend = Spend {
            tokens,
            cost_micros,
            currency,
            agent: self.session.assistant.agent.kind_name().to_owned(),
            model: log.agent.current_model().map(str::to_owned),
            by: self.turn_by.clone(),
        };
        log.stage(EventBody::Spend { spend });
    }

    /// After a cost is stored: says a budget's new warning or limit, and
    /// pauses the run when a budget is reached (unless an admin resumed
    /// it past that). Reads the store, so every server agrees.
    pub(super) async fn hold_to_budgets(&mut self, phase: Phase) {
        self.spent_since_check = false;
        let ctx = self.session.ctx.clone();
        let assistant = &self.session.assistant;
        let standings = budgets::standings_for(
            &ctx.store,
            &assistant.id,
            &assistant.name,
            ctx.clock.now_ms(),
        )
        .await;
        let standings = match standings {
            Ok(standings) => standings,
            Err(error) => {
                tracing::warn!(%error, "could not check the budgets");
                return;
            }
        };
        let notices = Notices {
            store: &ctx.store,
            clock: ctx.clock.as_ref(),
            ids: ctx.ids.as_ref(),
            push: &ctx.push,
        };
        if let Err(error) = notices.say_new(&assistant.id, &standings).await {
            tracing::warn!(%error, "could not say a budget's notice");
        }
        if self.past_budget || self.paused.is_some() || phase != Phase::Turn {
            return;
        }
        if let Some(reached) = standings.iter().find(|s| s.standing == Standing::Reached) {
            if let Err(error) = self.pause_because(phase, reached.words()) {
                tracing::warn!(%error, "could not pause a session at its budget");
            }
        }
    }

    /// Stages `body`, and after a `usage` event that reports a cost, what
    /// the agent's running cost grew by.
    pub(super) fn stage_with_spend(&mut self, body: EventBody) {
        let grew = match &body {
            EventBody::Usage { usage } => usage.cost.as_ref().map(|cost| {
                let grew = self.running_cost.grew_by(cost.amount, &cost.currency);
                (grew, cost.currency.clone())
            }),
            _ => None,
        };
        self.session.log.stage(body);
        if let Some(grew) = grew.filter(|(micros, _)| *micros > 0) {
            self.stage_spend(Tokens::default(), Some(grew));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_prompt_result_says_its_tokens_or_nothing() {
        let tokens = turn_tokens(&json!({"stopReason":"end_turn","usage":{
            "inputTokens":1200,"outputTokens":80,"cachedReadTokens":1000,"totalTokens":2280}}));
        assert_eq!(
            tokens,
            Some(Tokens {
                input: 1200,
                output: 80,
                cached_read: 1000,
                ..Tokens::default()
            })
        );
        assert_eq!(turn_tokens(&json!({"stopReason":"end_turn"})), None);
        // Claude's swallowed prompt: all zero, nothing spent.
        assert_eq!(
            turn_tokens(&json!({"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0}})),
            None
        );
        // Not the shape: nothing, never a failure.
        assert_eq!(turn_tokens(&json!({"usage":"lots"})), None);
        assert_eq!(turn_tokens(&json!({"usage":{"inputTokens":-5}})), None);
    }
}
