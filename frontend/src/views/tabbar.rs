//! Phones: a bottom tab bar in thumb reach, with the one badge that
//! matters, the approvals waiting. Hidden on wide screens (the sidebar).

use crate::app::{AppState, Page};
use leptos::prelude::*;

// Line icons (24 × 24, stroked): the system's emoji font is not
// everywhere, and an SVG path costs a few bytes.
const CHAT: &str = "M4 5h16v11H9l-5 4z";
const SESSIONS: &str = "M4 6h16M4 12h16M4 18h10";
const TASKS: &str = "M4 4h16v16H4zM8 12l3 3 5-6";
const APPROVALS: &str = "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM8.5 12l2.5 2.5 4.5-5";

#[component]
fn Icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="tabbar-icon" viewBox="0 0 24 24" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">
            <path d=path />
        </svg>
    }
}

#[component]
pub fn TabBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let waiting = state.pending;
    let tab = move |label: &'static str, icon: &'static str, testid: &'static str, target: Page| {
        let is_here = {
            let target = target.clone();
            move || match (state.page.get(), &target) {
                (Page::Assistant(_), Page::Chats) => true,
                (Page::Session(_) | Page::NewSession, Page::Sessions) => true,
                (page, target) => page == *target,
            }
        };
        view! {
            <button class="tabbar-tab" class:selected=is_here.clone() data-testid=testid
                aria-current=move || is_here().then_some("page")
                on:click=move |_| state.go(target.clone())>
                <Icon path=icon />
                <span>{label}</span>
            </button>
        }
    };
    view! {
        <nav class="tabbar" aria-label="Sections">
            {tab("Chat", CHAT, "tab-chat", Page::Chats)}
            {tab("Sessions", SESSIONS, "tab-sessions", Page::Sessions)}
            {tab("Tasks", TASKS, "tab-tasks", Page::Tasks)}
            <button class="tabbar-tab" data-testid="tab-approvals"
                class:selected=move || state.page.get() == Page::Approvals
                on:click=move |_| state.go(Page::Approvals)>
                <Icon path=APPROVALS />
                <span>"Approvals"</span>
                <Show when=move || { waiting.get() > 0 }>
                    <span class="tabbar-badge" data-testid="tab-badge"
                        aria-label=move || format!("{} waiting", waiting.get())>{move || waiting.get()}</span>
                </Show>
            </button>
        </nav>
    }
}
