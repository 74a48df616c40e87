//! Pages whose code loads when first opened. Each `#[lazy]` function is a
//! split point: the build cuts its code (and what only it uses) into a
//! separate WASM piece, so the first load carries the shell, the login, the
//! session view and the new-session page, and the rest arrives on first
//! use: the other pages, the login and first-run forms, a share link's
//! page, the offline shelf and the code that keeps sessions for reading
//! offline. The service worker keeps every piece, so they open offline too.
//!
//! The pieces are split points only with the `split` feature, which
//! `cargo xtask` builds with (its web build splits the WASM); a build
//! without it, `trunk serve`'s, is one WASM and these are plain async
//! functions.

use crate::views::{
    approvals::ApprovalsPage, assistant::AssistantPage, changes::ChangesView, login::LoginForm,
    login::SetupForm, new_assistant::NewAssistant, offline::OfflineShelf, settings::Settings,
    share::SharePage, tasks::TasksPage, usage::UsagePage,
};
use leptos::prelude::*;
use std::future::Future;
use tandem_shared::{AssistantId, SessionId};

#[cfg_attr(feature = "split", lazy)]
async fn assistant_page(id: AssistantId) -> AnyView {
    view! { <AssistantPage id=id /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn changes_page(id: SessionId) -> AnyView {
    view! { <ChangesView id=id /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn tasks_page() -> AnyView {
    view! { <TasksPage /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn usage_page() -> AnyView {
    view! { <UsagePage /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn settings_page() -> AnyView {
    view! { <Settings /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn new_assistant_page() -> AnyView {
    view! { <NewAssistant /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn approvals_page() -> AnyView {
    view! { <ApprovalsPage /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn share_page(token: String) -> AnyView {
    view! { <SharePage token=token /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn setup_form(code_needed: bool, on_done: Callback<()>) -> AnyView {
    view! { <SetupForm code_needed=code_needed on_done=move || on_done.run(()) /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn login_form(on_done: Callback<()>, ended: bool) -> AnyView {
    view! { <LoginForm on_done=move || on_done.run(()) ended=ended /> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
async fn keep_offline(kept: crate::offline::Kept) {
    crate::offline::keep(kept).await
}

#[cfg_attr(feature = "split", lazy)]
async fn offline_shelf() -> AnyView {
    view! { <OfflineShelf /> }.into_any()
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

pub fn changes(id: SessionId) -> AnyView {
    when_loaded(changes_page(id))
}

pub fn tasks() -> AnyView {
    when_loaded(tasks_page())
}

pub fn usage() -> AnyView {
    when_loaded(usage_page())
}

pub fn settings() -> AnyView {
    when_loaded(settings_page())
}

pub fn new_assistant() -> AnyView {
    when_loaded(new_assistant_page())
}

pub fn approvals() -> AnyView {
    when_loaded(approvals_page())
}

pub fn share(token: String) -> AnyView {
    when_loaded(share_page(token))
}

pub fn setup(code_needed: bool, on_done: Callback<()>) -> AnyView {
    when_loaded(setup_form(code_needed, on_done))
}

pub fn offline() -> AnyView {
    when_loaded(offline_shelf())
}

pub fn login(on_done: Callback<()>, ended: bool) -> AnyView {
    when_loaded(login_form(on_done, ended))
}

/// Keeps a session for reading offline (`offline.rs`), its code loaded
/// the first time.
pub async fn keep(kept: crate::offline::Kept) {
    keep_offline(kept).await
}
