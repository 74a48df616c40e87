//! What the session's agent says of itself, in the header: its mode (and
//! whether it asks before acting), its model and other options — each a
//! control a member changes — how much of its context is used and what the
//! session cost so far.

use crate::endpoints::sessions;
use crate::state::AppState;
use crate::views::sandbox_chip::SandboxChip;
use leptos::prelude::*;
use tandem_shared::agent_state::{
    AgentMode, ChoiceApplied, ConfigOption, ConfigValue, ModeSafety, Setting, Usage,
};
use tandem_shared::spend::{show_money, Spent};
use tandem_shared::SessionId;

#[component]
pub fn AgentBar(id: SessionId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let agent = Memo::new(move |_| state.follow.transcript.with(|t| t.agent.clone()));
    // Said after a choice that waits for the next run.
    let note = RwSignal::new(None::<String>);
    let choose = move |setting: Setting| {
        leptos::task::spawn_local(async move {
            match sessions::choose(&id.get_value(), &setting).await {
                Ok(ChoiceApplied::Now) => note.set(None),
                Ok(ChoiceApplied::NextRun) => {
                    note.set(Some("Kept: the next message starts with it.".into()))
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="agent-bar" data-testid="agent-bar">
            <SandboxChip />
            {move || {
                let agent = agent.get();
                let modes = agent.mode_choices();
                let current = agent.current_mode().map(str::to_owned);
                let options: Vec<ConfigOption> = agent.other_options().cloned().collect();
                view! {
                    {current.map(|current| view! { <ModeControl modes current on_choose=choose /> })}
                    {options.into_iter().map(|option| view! { <OptionControl option on_choose=choose /> }).collect_view()}
                    {usage_words(agent.usage.as_ref(), &agent.spent).map(|words| view! {
                        <span class="agent-chip" data-testid="agent-usage">{words}</span>
                    })}
                }
            }}
            {move || note.get().map(|note| view! { <span class="muted agent-note" data-testid="agent-note">{note}</span> })}
        </div>
    }
}

/// The mode, as a select; a mode that acts without asking is marked so.
#[component]
fn ModeControl(
    modes: Vec<AgentMode>,
    current: String,
    on_choose: impl Fn(Setting) + Copy + 'static,
) -> impl IntoView {
    let safety = ModeSafety::of(&current);
    let acts = matches!(safety, ModeSafety::ActsAlone | ModeSafety::Unknown);
    view! {
        <label class="agent-chip mode" class:acts-alone=acts data-testid="agent-mode" title=safety.words()>
            "Mode "
            <select data-testid="agent-mode-select" aria-label="Agent mode"
                on:change=move |ev| on_choose(Setting::Mode { mode: event_target_value(&ev) })>
                {modes.into_iter().map(|mode| {
                    let selected = mode.id == current;
                    let words = ModeSafety::of(&mode.id).words();
                    view! { <option value=mode.id.clone() selected=selected>{format!("{} · {words}", mode.name)}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// One option: a select of its choices, or a checkbox.
#[component]
fn OptionControl(
    option: ConfigOption,
    on_choose: impl Fn(Setting) + Copy + 'static,
) -> impl IntoView {
    let id = option.id.clone();
    let label = option.name.clone();
    match option.value {
        ConfigValue::Boolean(on) => view! {
            <label class="agent-chip" data-testid="agent-option">
                <input type="checkbox" prop:checked=on aria-label=label.clone()
                    on:change=move |ev| on_choose(Setting::Option {
                        id: id.clone(),
                        value: ConfigValue::Boolean(event_target_checked(&ev)),
                    }) />
                " " {label.clone()}
            </label>
        }
        .into_any(),
        ConfigValue::Choice(current) => {
            let mut choices = option.choices;
            // A value the agent did not list is still shown as current.
            if !choices.iter().any(|c| c.value == current) {
                choices.insert(
                    0,
                    tandem_shared::agent_state::ConfigChoice {
                        value: current.clone(),
                        name: current.clone(),
                        description: None,
                    },
                );
            }
            view! {
                <label class="agent-chip" data-testid="agent-option">
                    {label.clone()} " "
                    <select data-option=id.clone() aria-label=label
                        on:change=move |ev| on_choose(Setting::Option {
                            id: id.clone(),
                            value: ConfigValue::Choice(event_target_value(&ev)),
                        })>
                        {choices.into_iter().map(|choice| {
                            let selected = choice.value == current;
                            view! { <option value=choice.value title=choice.description.unwrap_or_default() selected=selected>{choice.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
            .into_any()
        }
    }
}

/// "Context 27% of 200k · $0.42".
/// Context use, then what the whole session spent (every run's spend
/// events, where the agent's own figure starts over with each process).
fn usage_words(usage: Option<&Usage>, spent: &Spent) -> Option<String> {
    let share = usage.map(
        |usage| match (usage.used.saturating_mul(100)).checked_div(usage.size) {
            Some(percent) => format!("Context {percent}% of {}", thousands(usage.size)),
            None => format!("Context {}", thousands(usage.used)),
        },
    );
    let cost = (spent.cost_micros > 0).then(|| {
        show_money(
            spent.cost_micros,
            spent
                .currency
                .as_deref()
                .unwrap_or(tandem_shared::spend::CURRENCY),
        )
    });
    match (share, cost) {
        (Some(share), Some(cost)) => Some(format!("{share} · {cost}")),
        (share, cost) => share.or(cost),
    }
}

fn thousands(tokens: u64) -> String {
    if tokens >= 1_000 {
        format!("{}k", tokens / 1_000)
    } else {
        tokens.to_string()
    }
}
