//! What the page is: a share link's read-only transcript (`/s/<token>`),
//! the first-run setup, the login, or the app for a logged-in person.

use crate::api;
use crate::app::App;
use crate::endpoints;
use crate::pieces;
use crate::socket::Socket;
use crate::state::Page;
use leptos::prelude::*;
use tandem_shared::auth::AuthState;
use tandem_shared::ws::ClientMessage;
use tandem_shared::Seq;

/// The app's socket, connecting now; on its first open it subscribes to
/// the session the address names, newest first (as `Follow` would).
fn early_socket() -> Socket {
    let socket = Socket::new(endpoints::SOCKET.into());
    socket.start_early(move || {
        if let Some(session_id) = Page::current().session() {
            socket.send(&ClientMessage::Subscribe {
                session_id,
                after: Seq::ZERO,
                newest_first: true,
            });
        }
    });
    socket
}

#[component]
pub fn Root() -> impl IntoView {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    if let Some(token) = path.strip_prefix("/s/").filter(|t| !t.is_empty()) {
        return pieces::share(token.to_owned());
    }
    let auth = RwSignal::new(None::<Result<AuthState, String>>);
    // The socket opens while the login is asked for, and subscribes to the
    // session the address names: a session page paints a round trip
    // sooner. The app takes it over; a page without a login ends it.
    let early = StoredValue::new_local(Some(early_socket()));
    // Set when the server ended the login of an open app.
    let ended = RwSignal::new(false);
    let load = move || {
        leptos::task::spawn_local(async move {
            auth.set(Some(endpoints::auth::state().await));
        });
    };
    load();
    // Anything but the app: the early socket is not wanted.
    Effect::new(move |_| {
        let signed_in = auth.with(|a| matches!(a, Some(Ok(AuthState { user: Some(_), .. }))));
        if auth.with(Option::is_some) && !signed_in {
            if let Some(socket) = early.try_update_value(Option::take).flatten() {
                socket.end();
            }
        }
    });
    view! {
        {move || match auth.get() {
            None => view! { <div class="center-screen muted">"Loading…"</div> }.into_any(),
            // Offline (the installed app opened from its kept shell) or the
            // server is down: say so, and try again by itself.
            Some(Err(message)) if message == api::UNREACHABLE => {
                // Try again quietly: what the person reads meanwhile stays.
                leptos::task::spawn_local(async move {
                    loop {
                        gloo_timers::future::TimeoutFuture::new(3_000).await;
                        let next = endpoints::auth::state().await;
                        if !matches!(&next, Err(m) if m == api::UNREACHABLE) {
                            auth.set(Some(next));
                            break;
                        }
                    }
                });
                view! {
                    <div class="offline-page">
                        <div class="banner banner-warn" role="status" data-testid="offline-banner">
                            "Offline: Tandem cannot be reached. This page reconnects by itself."
                        </div>
                        {pieces::offline()}
                    </div>
                }.into_any()
            }
            Some(Err(message)) => view! {
                <div class="center-screen"><div class="banner banner-error" role="alert">{message}</div></div>
            }.into_any(),
            // A login that ends while the app is open (the socket is refused)
            // asks again, and the login form shows.
            Some(Ok(AuthState { user: Some(user), .. })) => {
                let logged_out = Callback::new(move |()| {
                    ended.set(true);
                    load();
                });
                let socket = early
                    .try_update_value(Option::take)
                    .flatten()
                    .unwrap_or_else(|| Socket::new(endpoints::SOCKET.into()));
                view! { <App user=user socket=socket logged_out=logged_out /> }.into_any()
            }
            Some(Ok(AuthState { setup_needed: true, setup_code_needed, .. })) => {
                pieces::setup(setup_code_needed, Callback::new(move |()| load()))
            }
            Some(Ok(_)) => pieces::login(Callback::new(move |()| load()), ended.get_untracked()),
        }}
    }
    .into_any()
}
