//! Pages whose code loads when first opened. Each `#[lazy]` function is a
//! split point: the build cuts its code (and what only it uses) into a
//! separate WASM piece, so the first load carries the shell, the session
//! view and the new-session page, and the rest arrives on first use. The
//! service worker keeps every piece, so they open offline too.

use crate::views::{
    assistant::AssistantPage, new_assistant::NewAssistant, settings::Settings, tasks::TasksPage,
};
use leptos::prelude::*;
use std::future::Future;
use tandem_shared::AssistantId;

#[lazy]
fn assistant_page(id: AssistantId) -> AnyView {
    view! { <AssistantPage id=id /> }.into_any()
}

#[lazy]
fn tasks_page() -> AnyView {
    view! { <TasksPage /> }.into_any()
}

#[lazy]
fn settings_page() -> AnyView {
    view! { <Settings /> }.into_any()
}

#[lazy]
fn new_assistant_page() -> AnyView {
    view! { <NewAssistant /> }.into_any()
}

/// A page whose piece may still be on its way.
fn when_loaded(piece: impl Future<Output = AnyView> + Send + 'static) -> AnyView {
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {Suspend::new(piece)}
        </Suspense>
    }
    .into_any()
}

pub fn assistant(id: AssistantId) -> AnyView {
    when_loaded(assistant_page(id))
}

pub fn tasks() -> AnyView {
    when_loaded(tasks_page())
}

pub fn settings() -> AnyView {
    when_loaded(settings_page())
}

pub fn new_assistant() -> AnyView {
    when_loaded(new_assistant_page())
}
