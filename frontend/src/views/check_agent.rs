//! "Check agent" on an assistant's profile: starts its agent in a scratch
//! directory and shows what it says of itself, or its error verbatim.

use crate::endpoints::assistants;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::agent_state::ModeSafety;
use tandem_shared::api::AgentProbe;
use tandem_shared::AssistantId;

#[component]
pub fn CheckAgent(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let found = RwSignal::new(None::<AgentProbe>);
    let busy = RwSignal::new(false);
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
                        {probe.error.clone().map(|error| view! {
                            <div class="agent-problem" role="alert" data-testid="check-error">{error}</div>
                        })}
                    </div>
                }
            })}
        </div>
    }
}
