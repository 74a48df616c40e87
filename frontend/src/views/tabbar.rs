//! Phones: a bottom tab bar in thumb reach, with the one badge that
//! matters, the approvals waiting. Hidden on wide screens (the sidebar).

use super::icons::{Icon, APPROVALS, CHAT, SESSIONS, TASKS};
use crate::state::{AppState, Page};
use leptos::prelude::*;

#[component]
pub fn TabBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let waiting = state.pending;
    let tab = move |label: &'static str, icon: &'static str, testid: &'static str, target: Page| {
        let is_here = {
            let target = target.clone();
            move || match (state.page.get(), &target) {
                (Page::Assistant(_), Page::Chats) => true,
                (Page::Session(_) | Page::Changes(_) | Page::NewSession, Page::Sessions) => true,
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
