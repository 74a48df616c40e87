//! "Every run starts with": the mode and options an agent offers (from a
//! check of it), as selects whose values are an assistant's defaults. Used
//! on the profile (saved at once) and in "New assistant" (saved with it).

use leptos::prelude::*;
use tandem_shared::agent_state::{asking_mode, ConfigValue, ModeSafety, Setting};
use tandem_shared::api::AgentProbe;

/// The value a setting has among `chosen`, by its key.
fn value_of(chosen: &[Setting], key: &str) -> Option<String> {
    chosen
        .iter()
        .find(|s| s.key() == key)
        .map(|setting| match setting {
            Setting::Mode { mode } => mode.clone(),
            Setting::Option { value, .. } => value.to_string(),
        })
}

#[component]
pub fn AgentDefaults(
    probe: AgentProbe,
    /// The defaults chosen so far.
    #[prop(into)]
    chosen: Signal<Vec<Setting>>,
    on_choose: Callback<Setting>,
) -> impl IntoView {
    let offers = !probe.modes.is_empty() || probe.options.iter().any(|o| !o.choices.is_empty());
    offers.then(|| {
        let asking = asking_mode(&probe.modes)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let mode_default = chosen.with_untracked(|c| value_of(c, "mode"));
        view! {
            <div class="check-defaults" data-testid="agent-defaults">
                <strong>"Every run starts with"</strong>
                {(!probe.modes.is_empty()).then(|| view! {
                    <label class="agent-chip">"Mode "
                        <select data-testid="default-mode" aria-label="Default mode"
                            on:change=move |ev| on_choose.run(Setting::Mode { mode: event_target_value(&ev) })>
                            <option value="" disabled=true selected=mode_default.is_none()>{format!("{asking} (asks first)")}</option>
                            {probe.modes.iter().map(|m| {
                                let selected = mode_default.as_deref() == Some(m.id.as_str());
                                view! { <option value=m.id.clone() selected=selected>{format!("{} · {}", m.name, ModeSafety::of(&m.id).words())}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {probe.options.iter().filter(|o| !o.choices.is_empty() && !o.is_mode()).map(|o| {
                    let option_id = o.id.clone();
                    let current = chosen
                        .with_untracked(|c| value_of(c, &format!("option:{}", o.id)))
                        .unwrap_or_else(|| o.value.to_string());
                    view! {
                        <label class="agent-chip">{o.name.clone()} " "
                            <select data-default-option=o.id.clone() aria-label=o.name.clone()
                                on:change=move |ev| on_choose.run(Setting::Option {
                                    id: option_id.clone(),
                                    value: ConfigValue::Choice(event_target_value(&ev)),
                                })>
                                {o.choices.iter().map(|c| view! {
                                    <option value=c.value.clone() selected=c.value == current>{c.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }).collect_view()}
            </div>
        }
    })
}

/// What a check found, in a few lines: who the agent is, how it logs in,
/// its modes (where it starts) and options, or its error verbatim.
#[component]
pub fn ProbeSummary(probe: AgentProbe) -> impl IntoView {
    let who = match (&probe.agent_name, &probe.agent_version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => "The agent did not say who it is".into(),
    };
    let current = probe.current_mode.clone().unwrap_or_default();
    view! {
        <div><strong data-testid="check-who">{who}</strong></div>
        {(!probe.auth_methods.is_empty()).then(|| view! {
            <div class="muted">"Logs in with: " {probe.auth_methods.join(", ")}</div>
        })}
        {(!probe.modes.is_empty()).then(|| view! {
            <div class="muted" data-testid="check-modes">"Modes: "
                {probe.modes.iter().map(|m| {
                    let now = if m.id == current { " (starts here)" } else { "" };
                    format!("{} — {}{now}", m.name, ModeSafety::of(&m.id).words())
                }).collect::<Vec<_>>().join("; ")}
            </div>
        })}
        {(!probe.options.is_empty()).then(|| view! {
            <div class="muted">"Options: "
                {probe.options.iter().map(|o| format!("{} {}", o.name, o.value_name())).collect::<Vec<_>>().join("; ")}
            </div>
        })}
        {probe.error.clone().map(|error| view! {
            <div class="agent-problem" role="alert" data-testid="check-error">{error}</div>
        })}
    }
}
