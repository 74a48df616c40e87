//! "Check agent" on an assistant's profile: starts its agent in a scratch
//! directory and shows what it says of itself, or its error verbatim; from
//! what it offers, members pick the defaults every run starts with.

use crate::endpoints::assistants;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::agent_state::{Choice, ConfigValue, ModeSafety, Setting};
use tandem_shared::api::AgentProbe;
use tandem_shared::AssistantId;

#[component]
pub fn CheckAgent(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let found = RwSignal::new(None::<AgentProbe>);
    let busy = RwSignal::new(false);
    let defaults = RwSignal::new(Vec::<Choice>::new());
    leptos::task::spawn_local(async move {
        if let Ok(kept) = assistants::defaults(&id.get_value()).await {
            defaults.set(kept);
        }
    });
    let set_default = move |setting: Setting| {
        leptos::task::spawn_local(async move {
            match assistants::set_default(&id.get_value(), &setting).await {
                Ok(kept) => defaults.set(kept),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let default_of = move |key: String| {
        defaults.with(|all| {
            all.iter()
                .find(|c| c.setting.key() == key)
                .map(|c| match &c.setting {
                    Setting::Mode { mode } => mode.clone(),
                    Setting::Option { value, .. } => value.to_string(),
                })
        })
    };
    let check = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match assistants::check(&id.get_value()).await {
                Ok(probe) => found.set(Some(probe)),
                Err(message) => state.error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="check-agent" data-testid="check-agent">
            <button class="button" data-testid="check-agent-button" disabled=move || busy.get() on:click=check>
                {move || if busy.get() { "Checking…" } else { "Check agent" }}
            </button>
            {move || found.get().map(|probe| {
                let who = match (&probe.agent_name, &probe.agent_version) {
                    (Some(name), Some(version)) => format!("{name} {version}"),
                    (Some(name), None) => name.clone(),
                    _ => "The agent did not say who it is".into(),
                };
                let current = probe.current_mode.clone().unwrap_or_default();
                view! {
                    <div class="check-result" data-testid="check-result">
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
                        {(!probe.modes.is_empty() || probe.options.iter().any(|o| !o.choices.is_empty())).then(|| {
                            let asking = tandem_shared::agent_state::asking_mode(&probe.modes).map(|m| m.name.clone()).unwrap_or_default();
                            let mode_default = default_of("mode".into());
                            view! {
                                <div class="check-defaults" data-testid="agent-defaults">
                                    <strong>"Every run starts with"</strong>
                                    {(!probe.modes.is_empty()).then(|| view! {
                                        <label class="agent-chip">"Mode "
                                            <select data-testid="default-mode" aria-label="Default mode"
                                                on:change=move |ev| set_default(Setting::Mode { mode: event_target_value(&ev) })>
                                                <option value="" disabled=true selected=mode_default.is_none()>{format!("{asking} (asks first)")}</option>
                                                {probe.modes.iter().map(|m| {
                                                    let selected = mode_default.as_deref() == Some(m.id.as_str());
                                                    view! { <option value=m.id.clone() selected=selected>{format!("{} · {}", m.name, ModeSafety::of(&m.id).words())}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                    })}
                                    {probe.options.iter().filter(|o| !o.choices.is_empty()).map(|o| {
                                        let option_id = o.id.clone();
                                        let current = default_of(format!("option:{}", o.id)).unwrap_or_else(|| o.value.to_string());
                                        view! {
                                            <label class="agent-chip">{o.name.clone()} " "
                                                <select data-default-option=o.id.clone() aria-label=o.name.clone()
                                                    on:change=move |ev| set_default(Setting::Option {
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
                        })}
                        {probe.error.clone().map(|error| view! {
                            <div class="agent-problem" role="alert" data-testid="check-error">{error}</div>
                        })}
                    </div>
                }
            })}
        </div>
    }
}
