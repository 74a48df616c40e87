//! The sidebar: every session, newest first, live.

use crate::app::AppState;
use leptos::prelude::*;
use tandem_shared::SessionStatus;

#[component]
pub fn Sidebar() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <nav class="sidebar" aria-label="Sessions">
            <div class="brand">"Tandem"</div>
            <button class="button primary new-session" data-testid="new-session"
                on:click=move |_| state.select(None)>"New session"</button>
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
        </nav>
    }
}
