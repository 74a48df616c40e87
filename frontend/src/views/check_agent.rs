//! "Check agent" on an assistant's profile: starts its agent in a scratch
//! directory and shows what it says of itself, or its error verbatim; from
//! what it offers, members pick the defaults every run starts with.

use super::agent_defaults::{AgentDefaults, ProbeSummary};
use crate::endpoints::assistants;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::agent_state::{Choice, Setting};
use tandem_shared::api::AgentProbe;
use tandem_shared::AssistantId;

#[component]
pub fn CheckAgent(
    id: AssistantId,
    /// What the last good check of this agent kind found, shown until this
    /// one is checked.
    #[prop(default = None)]
    last_check: Option<AgentProbe>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let found = RwSignal::new(last_check);
    let busy = RwSignal::new(false);
    let defaults = RwSignal::new(Vec::<Choice>::new());
    leptos::task::spawn_local(async move {
        if let Ok(kept) = assistants::defaults(&id.get_value()).await {
            defaults.set(kept);
        }
    });
    let set_default = Callback::new(move |setting: Setting| {
        leptos::task::spawn_local(async move {
            match assistants::set_default(&id.get_value(), &setting).await {
                Ok(kept) => defaults.set(kept),
                Err(message) => state.error.set(Some(message)),
            }
        });
    });
    let chosen = Signal::derive(move || {
        defaults.with(|all| all.iter().map(|c| c.setting.clone()).collect::<Vec<_>>())
    });
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
                // Re-drawn when the kept defaults arrive.
                defaults.track();
                view! {
                    <div class="check-result" data-testid="check-result">
                        <ProbeSummary probe=probe.clone() />
                        <AgentDefaults probe=probe chosen=chosen on_choose=set_default />
                    </div>
                }
            })}
        </div>
    }
}
