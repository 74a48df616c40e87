//! The top-level layout of a logged-in person's app: the sidebar, the page
//! the hash names, the tab bar; and the socket's messages routed into the
//! state (`state.rs`).

use crate::endpoints;
use crate::pieces;
use crate::pwa;
use crate::socket::Socket;
use crate::state::{AppState, Page};
use crate::views::{
    new_session::NewSession,
    session::SessionView,
    sidebar::{AssistantList, SessionList, Sidebar},
    tabbar::TabBar,
};
use leptos::prelude::*;
use tandem_shared::api::{ErrorCode, SessionQuery, SessionSummary};
use tandem_shared::auth::User;
use tandem_shared::ws::ServerMessage;
use tandem_shared::SessionStatus;

/// `logged_out` runs when the server says this login no longer holds (the
/// page shows the login then).
#[component]
pub fn App(user: User, socket: Socket, logged_out: Callback<()>) -> impl IntoView {
    crate::marks::once(crate::marks::SIGNED_IN);
    let state = AppState::new(user, socket, Page::current());
    let AppState {
        page,
        sessions,
        error,
        pending,
        follow,
        ..
    } = state;
    provide_context(state);

    let on_message = move |message: ServerMessage| match message {
        ServerMessage::Events { session_id, events } => follow.on_events(&session_id, &events),
        ServerMessage::Tail { session_id, events } => follow.on_tail(&session_id, &events),
        ServerMessage::CaughtUp { session_id, .. } => follow.on_caught_up(&session_id),
        ServerMessage::Session { session } => {
            let before = sessions
                .with_untracked(|list| list.iter().find(|s| s.id == session.id).map(|s| s.status));
            announce(before, &session);
            sessions.update(|list| upsert(list, session));
        }
        ServerMessage::PendingApprovals { count } => {
            pending.set(count);
            pwa::set_badge(count);
        }
        // The socket itself was refused: this login has ended.
        ServerMessage::Error {
            code: ErrorCode::Unauthorized,
            session_id: None,
            ..
        } => {
            socket.end();
            logged_out.run(());
        }
        // The page read too slowly (a sleeping tab): the socket closes and
        // reconnects on its own, resuming by seq; nothing to tell.
        ServerMessage::Error {
            code: ErrorCode::TooFarBehind,
            ..
        } => {}
        ServerMessage::Error { message, .. } => error.set(Some(message)),
        ServerMessage::Pong { .. } => {}
    };
    socket.start(on_message, move || follow.resubscribe());
    on_cleanup(move || socket.end());

    // Back, forward and pasted links change the hash: follow it. The
    // listener lives as long as the app and is removed with it.
    let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let wanted = Page::current();
        if wanted != state.page.get_untracked() {
            state.go(wanted);
        }
    });
    if let Some(window) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ =
            window.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    }
    let on_hash = StoredValue::new_local(Some(on_hash));
    on_cleanup(move || {
        on_hash.update_value(|slot| {
            if let (Some(window), Some(listener)) = (web_sys::window(), slot.take()) {
                use wasm_bindgen::JsCast;
                let _ = window.remove_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
        });
    });

    leptos::task::spawn_local(async move {
        if let Some(list) = state.ok(endpoints::sessions::list(&SessionQuery::default()).await) {
            sessions.set(list);
        }
        if let Some(list) = state.ok(endpoints::assistants::list().await) {
            state.assistants.set(list);
        }
    });

    let online = pwa::online();
    view! {
        <div class="app">
            <Sidebar />
            <main class="main">
                {move || if !online.get() {
                    Some(view! {
                        <div class="banner banner-warn" role="status" data-testid="offline-banner">
                            "Offline: Tandem will catch up when the network is back."
                        </div>
                    }.into_any())
                } else if !socket.connected.get() {
                    Some(view! { <div class="banner banner-warn" role="status">"Reconnecting…"</div> }.into_any())
                } else {
                    None
                }}
                {move || error.get().map(|message| view! {
                    <div class="banner banner-error" role="alert">
                        <span>{message}</span>
                        <button class="link" on:click=move |_| error.set(None)>"Dismiss"</button>
                    </div>
                })}
                {move || match page.get() {
                    Page::Session(id) => view! { <SessionView id=id changes=false /> }.into_any(),
                    Page::Changes(id) => view! { <SessionView id=id changes=true /> }.into_any(),
                    Page::Assistant(id) => pieces::assistant(id),
                    Page::Tasks => pieces::tasks(),
                    Page::Settings => pieces::settings(),
                    Page::NewSession => view! { <NewSession /> }.into_any(),
                    Page::NewAssistant => pieces::new_assistant(),
                    Page::Approvals => pieces::approvals(),
                    Page::Usage => pieces::usage(),
                    Page::Sessions => view! {
                        <section class="list-page" data-testid="sessions-page">
                            <div class="list-page-head">
                                <h1>"Sessions"</h1>
                                <button class="button primary" on:click=move |_| state.select(None)>"New session"</button>
                            </div>
                            <SessionList />
                        </section>
                    }.into_any(),
                    Page::Chats => view! {
                        <section class="list-page" data-testid="chats-page">
                            <div class="list-page-head"><h1>"Assistants"</h1></div>
                            <AssistantList />
                            <button class="nav-item" data-testid="chats-usage" on:click=move |_| state.go(Page::Usage)>"$ Usage"</button>
                            <button class="nav-item" data-testid="chats-settings" on:click=move |_| state.go(Page::Settings)>"⚙ Settings"</button>
                        </section>
                    }.into_any(),
                }}
            </main>
            <TabBar />
        </div>
    }
}

/// A session created or changed goes in its place; an archived one leaves.
fn upsert(list: &mut Vec<SessionSummary>, session: SessionSummary) {
    if session.archived {
        list.retain(|s| s.id != session.id);
        return;
    }
    match list.iter_mut().find(|s| s.id == session.id) {
        Some(existing) => *existing = session,
        None => {
            // Newest first: a session brought back from the archive goes
            // where its day is.
            let at = list
                .iter()
                .position(|s| s.created_at < session.created_at)
                .unwrap_or(list.len());
            list.insert(at, session)
        }
    }
}

/// A notification, while the app is hidden, when a session starts waiting
/// for a decision or ends.
fn announce(before: Option<SessionStatus>, now: &SessionSummary) {
    let hash = format!("#/sessions/{}", now.id);
    if now.status == SessionStatus::WaitingApproval
        && before != Some(SessionStatus::WaitingApproval)
    {
        pwa::notify(
            &format!("{} needs a decision", now.assistant_name),
            &now.title,
            &hash,
        );
    } else if before.is_some_and(|s| s.is_live()) && !now.status.is_live() {
        pwa::notify(
            &format!("{}: {}", now.assistant_name, now.status.label()),
            &now.title,
            &hash,
        );
    }
}
