//! What the page is: a share link's read-only transcript (`/s/<token>`),
//! the first-run setup, the login, or the app for a logged-in person.

use crate::api;
use crate::app::App;
use crate::views::login::{LoginForm, SetupForm};
use crate::views::share::SharePage;
use leptos::prelude::*;
use tandem_shared::auth::AuthState;

#[component]
pub fn Root() -> impl IntoView {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    if let Some(token) = path.strip_prefix("/s/").filter(|t| !t.is_empty()) {
        return view! { <SharePage token=token.to_owned() /> }.into_any();
    }
    let auth = RwSignal::new(None::<Result<AuthState, String>>);
    let load = move || {
        leptos::task::spawn_local(async move {
            auth.set(Some(api::get::<AuthState>("/api/auth/state").await));
        });
    };
    load();
    view! {
        {move || match auth.get() {
            None => view! { <div class="center-screen muted">"Loading…"</div> }.into_any(),
            Some(Err(message)) => view! {
                <div class="center-screen"><div class="banner banner-error" role="alert">{message}</div></div>
            }.into_any(),
            Some(Ok(AuthState { user: Some(user), .. })) => view! { <App user=user /> }.into_any(),
            Some(Ok(AuthState { setup_needed: true, .. })) => view! { <SetupForm on_done=load /> }.into_any(),
            Some(Ok(_)) => view! { <LoginForm on_done=load /> }.into_any(),
        }}
    }
    .into_any()
}
