//! Starting a session: pick an assistant, say what to do.

use crate::endpoints::{agents, sessions};
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::api::{AgentKindInfo, CreateSession};
use tandem_shared::AssistantId;

#[component]
pub fn NewSession() -> impl IntoView {
    let state = expect_context::<AppState>();
    let chosen = RwSignal::new(None::<AssistantId>);
    let prompt = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let kinds = RwSignal::new(Vec::<AgentKindInfo>::new());
    leptos::task::spawn_local(async move {
        match agents::list().await {
            Ok(list) => kinds.set(list),
            Err(message) => state.error.set(Some(message)),
        }
    });
    let start = move || {
        let assistant_id = chosen.get_untracked().or_else(|| {
            state
                .assistants
                .with_untracked(|a| a.first().map(|a| a.id.clone()))
        });
        let Some(assistant_id) = assistant_id else {
            state.error.set(Some("There is no assistant yet.".into()));
            return;
        };
        let body = CreateSession {
            assistant_id,
            prompt: prompt.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = sessions::create(&body).await;
            busy.set(false);
            match result {
                Ok(session) => {
                    prompt.set(String::new());
                    state.sessions.update(|list| {
                        if !list.iter().any(|s| s.id == session.id) {
                            list.insert(0, session.clone());
                        }
                    });
                    state.select(Some(session.id));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <section class="new-session-view">
            <h1>"New session"</h1>
            <label class="field">
                <span>"Assistant"</span>
                <select data-testid="assistant-select"
                    on:change=move |ev| chosen.set(Some(AssistantId(event_target_value(&ev))))>
                    <For each=move || state.assistants.get() key=|a| a.id.clone()
                        children=move |a| view! {
                            <option value=a.id.0.clone()>{format!("{} ({})", a.name, a.agent.kind_name())}</option>
                        } />
                </select>
            </label>
            <label class="field">
                <span>"What should it do?"</span>
                <textarea data-testid="new-prompt" rows="5"
                    placeholder="For the Demo assistant: shell commands, one per line — e.g. echo hello > hello.txt"
                    prop:value=move || prompt.get()
                    on:input=move |ev| prompt.set(event_target_value(&ev))
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            start();
                        }
                    }></textarea>
            </label>
            <button class="button primary" data-testid="start-session"
                disabled=move || busy.get() || prompt.with(|p| p.trim().is_empty())
                on:click=move |_| start()>"Start"</button>
            <section class="agents" aria-labelledby="agents-heading">
                <h2 id="agents-heading">"Agents on this machine"</h2>
                <ul class="agent-list" data-testid="agent-list">
                    <For each=move || kinds.get() key=|a| a.kind.clone()
                        children=move |a| view! {
                            <li class="agent" data-installed=a.installed.to_string()>
                                <span class=if a.installed { "agent-mark ok" } else { "agent-mark" }>
                                    {if a.installed { "✓" } else { "–" }}
                                </span>
                                <span class="agent-text">
                                    <strong>{a.title.clone()}</strong>
                                    {a.pinned_version.clone().map(|pinned| {
                                        let installed = a.installed_version.clone()
                                            .map(|v| format!(" · installed {v}"))
                                            .unwrap_or_default();
                                        view! { <span class="muted" data-testid="agent-versions">{format!("{} {pinned} pinned{installed}", a.package.clone().unwrap_or_default())}</span> }
                                    })}
                                    <code>{a.command_line.clone()}</code>
                                    {a.problem.clone().map(|problem| view! { <span class="agent-problem" role="alert" data-testid="agent-problem">{problem}</span> })}
                                    {a.note.clone().map(|note| view! { <span class="muted">{note}</span> })}
                                </span>
                            </li>
                        } />
                </ul>
            </section>
        </section>
    }
}
