//! The sidebar: every session, newest first, live.

use crate::app::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::SessionStatus;

#[component]
pub fn Sidebar() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Approvals waiting across every assistant this person sees: the
    // server sends the count live.
    let waiting = state.pending;
    let me = state.user.get_value();
    view! {
        <nav class="sidebar" aria-label="Sessions">
            <div class="brand">"Tandem"</div>
            <button class="button primary new-session" data-testid="new-session"
                on:click=move |_| state.select(None)>"New session"</button>
            <div class="nav-heading">"Assistants"</div>
            <ul class="assistant-list">
                <For each=move || state.assistants.get() key=|a| (a.id.clone(), a.name.clone())
                    children=move |a| {
                        let id = a.id.clone();
                        let selected_id = a.id.clone();
                        let initial = a.name.chars().next().unwrap_or('?').to_string();
                        view! {
                            <li>
                                <button class="nav-item" data-testid="assistant-item"
                                    class:selected=move || state.page.get() == Page::Assistant(selected_id.clone())
                                    on:click=move |_| state.go(Page::Assistant(id.clone()))>
                                    <span class="avatar small" style=format!("background:{}", a.color)>{initial}</span>
                                    {a.name.clone()}
                                </button>
                            </li>
                        }
                    } />
                <li>
                    <button class="nav-item" data-testid="tasks-link"
                        class:selected=move || state.page.get() == Page::Tasks
                        on:click=move |_| state.go(Page::Tasks)>"☑ Tasks"</button>
                </li>
            </ul>
            <div class="nav-heading">
                "Sessions"
                <Show when=move || { waiting.get() > 0 }>
                    <span class="badge" data-testid="approvals-badge"
                        title="Approvals waiting for you">{move || waiting.get()} " waiting"</span>
                </Show>
            </div>
            <ul class="session-list">
                <For
                    each=move || state.sessions.get()
                    key=|s| (s.id.clone(), s.status, s.title.clone())
                    children=move |s| {
                        let id = s.id.clone();
                        let selected_id = s.id.clone();
                        let is_selected = move || state.selected.get().as_ref() == Some(&selected_id);
                        let initial = s.assistant_name.chars().next().unwrap_or('?').to_string();
                        let live = s.status.is_live();
                        let waiting = s.status == SessionStatus::WaitingApproval;
                        view! {
                            <li>
                                <button class="session-item" class:selected=is_selected
                                    data-testid="session-item" data-status=s.status.as_str()
                                    on:click=move |_| state.select(Some(id.clone()))>
                                    <span class="avatar" style=format!("background:{}", s.assistant_color)>{initial}</span>
                                    <span class="session-text">
                                        <span class="session-title">{s.title.clone()}</span>
                                        <span class="session-meta">
                                            {s.assistant_name.clone()} " · "
                                            <span class=format!("status status-{}", s.status.as_str())>
                                                {live.then(|| view! { <span class="live-dot" aria-hidden="true"></span> })}
                                                {waiting.then_some("⚠ ")}
                                                {s.status.label()}
                                            </span>
                                        </span>
                                    </span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <div class="sidebar-foot">
                <button class="nav-item" data-testid="settings-link"
                    class:selected=move || state.page.get() == Page::Settings
                    on:click=move |_| state.go(Page::Settings)>"⚙ Settings"</button>
                <div class="muted" data-testid="signed-in-as">{me.name}</div>
            </div>
        </nav>
    }
}
