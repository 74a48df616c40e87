//! What the session's agent says of itself, in the header: its mode (and
//! whether it asks before acting), its model and other options, how much
//! of its context is used and what the session cost so far.

use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::agent_state::{ModeSafety, Usage};

#[component]
pub fn AgentBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let agent = move || state.follow.transcript.with(|t| t.agent.clone());
    view! {
        <div class="agent-bar" data-testid="agent-bar">
            {move || {
                let agent = agent();
                let mode = agent.current_mode().map(|id| (ModeSafety::of(id), agent.mode_name().unwrap_or_default()));
                let options: Vec<(String, String)> = agent
                    .other_options()
                    .map(|o| (o.name.clone(), o.value_name()))
                    .collect();
                view! {
                    {mode.map(|(safety, name)| {
                        let acts = matches!(safety, ModeSafety::ActsAlone | ModeSafety::Unknown);
                        view! {
                            <span class="agent-chip mode" class:acts-alone=acts data-testid="agent-mode"
                                title=safety.words()>
                                "Mode: " <strong>{name}</strong> " · " {safety.words()}
                            </span>
                        }
                    })}
                    {options.into_iter().map(|(name, value)| view! {
                        <span class="agent-chip" data-testid="agent-option">{name} ": " <strong>{value}</strong></span>
                    }).collect_view()}
                    {agent.usage.map(|usage| view! {
                        <span class="agent-chip" data-testid="agent-usage">{usage_words(&usage)}</span>
                    })}
                }
            }}
        </div>
    }
}

/// "Context 27% of 200k · $0.42".
fn usage_words(usage: &Usage) -> String {
    let share = match (usage.used.saturating_mul(100)).checked_div(usage.size) {
        Some(percent) => format!("Context {percent}% of {}", thousands(usage.size)),
        None => format!("Context {}", thousands(usage.used)),
    };
    match &usage.cost {
        Some(cost) if cost.currency == "USD" => format!("{share} · ${:.2}", cost.amount),
        Some(cost) => format!("{share} · {:.2} {}", cost.amount, cost.currency),
        None => share,
    }
}

fn thousands(tokens: u64) -> String {
    if tokens >= 1_000 {
        format!("{}k", tokens / 1_000)
    } else {
        tokens.to_string()
    }
}
