//! App state, shared through context, and the top-level layout.

use crate::api;
use crate::socket::Socket;
use crate::views::{new_session::NewSession, session::SessionView, sidebar::Sidebar};
use leptos::prelude::*;
use tandem_shared::api::{Assistant, SessionSummary};
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{Seq, SessionId};

#[derive(Clone, Copy)]
pub struct AppState {
    pub sessions: RwSignal<Vec<SessionSummary>>,
    pub assistants: RwSignal<Vec<Assistant>>,
    pub selected: RwSignal<Option<SessionId>>,
    pub transcript: RwSignal<Transcript>,
    pub error: RwSignal<Option<String>>,
    pub socket: Socket,
}

impl AppState {
    pub fn select(&self, id: Option<SessionId>) {
        if let Some(old) = self.selected.get_untracked() {
            self.socket
                .send(&ClientMessage::Unsubscribe { session_id: old });
        }
        self.transcript.set(Transcript::default());
        if let Some(window) = web_sys::window() {
            let hash = id
                .as_ref()
                .map(|id| format!("#/sessions/{id}"))
                .unwrap_or_default();
            let _ = window.location().set_hash(&hash);
        }
        self.selected.set(id.clone());
        if let Some(session_id) = id {
            self.socket.send(&ClientMessage::Subscribe {
                session_id,
                after: Seq::ZERO,
            });
        }
    }

    pub fn report(&self, result: Result<(), String>) {
        if let Err(message) = result {
            self.error.set(Some(message));
        }
    }
}

fn selected_from_hash() -> Option<SessionId> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.strip_prefix("#/sessions/")
        .filter(|id| !id.is_empty())
        .map(SessionId::from)
}

#[component]
pub fn App() -> impl IntoView {
    let sessions = RwSignal::new(Vec::<SessionSummary>::new());
    let selected = RwSignal::new(selected_from_hash());
    let transcript = RwSignal::new(Transcript::default());
    let error = RwSignal::new(None::<String>);

    let on_message = move |message: ServerMessage| match message {
        ServerMessage::Events { session_id, events } => {
            if selected.get_untracked().as_ref() == Some(&session_id) {
                transcript.update(|t| {
                    for event in &events {
                        t.apply(event);
                    }
                });
            }
        }
        ServerMessage::Session { session } => {
            sessions.update(|list| match list.iter_mut().find(|s| s.id == session.id) {
                Some(existing) => *existing = session,
                None => list.insert(0, session),
            })
        }
        ServerMessage::Error { message, .. } => error.set(Some(message)),
        ServerMessage::CaughtUp { .. } | ServerMessage::Pong { .. } => {}
    };
    // After every (re)connect: resubscribe from the last seq held.
    let on_open = move || {
        if let Some(session_id) = selected.get_untracked() {
            let after = transcript.with_untracked(|t| t.last_seq);
            with_socket(|socket| socket.send(&ClientMessage::Subscribe { session_id, after }));
        }
    };
    let socket = Socket::new(on_message, on_open);
    SOCKET_HANDLE.with(|slot| *slot.borrow_mut() = Some(socket));
    let state = AppState {
        sessions,
        assistants: RwSignal::new(Vec::new()),
        selected,
        transcript,
        error,
        socket,
    };
    provide_context(state);

    // Back, forward and pasted links change the hash: follow it.
    let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let wanted = selected_from_hash();
        if wanted != state.selected.get_untracked() {
            state.select(wanted);
        }
    });
    if let Some(window) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ =
            window.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    }
    on_hash.forget();

    leptos::task::spawn_local(async move {
        match api::get::<Vec<SessionSummary>>("/api/sessions").await {
            Ok(list) => sessions.set(list),
            Err(message) => error.set(Some(message)),
        }
        match api::get::<Vec<Assistant>>("/api/assistants").await {
            Ok(list) => state.assistants.set(list),
            Err(message) => error.set(Some(message)),
        }
    });

    view! {
        <div class="app">
            <Sidebar />
            <main class="main">
                <Show when=move || !socket.connected.get()>
                    <div class="banner banner-warn" role="status">"Reconnecting…"</div>
                </Show>
                {move || error.get().map(|message| view! {
                    <div class="banner banner-error" role="alert">
                        <span>{message}</span>
                        <button class="link" on:click=move |_| error.set(None)>"Dismiss"</button>
                    </div>
                })}
                {move || match selected.get() {
                    Some(id) => view! { <SessionView id=id /> }.into_any(),
                    None => view! { <NewSession /> }.into_any(),
                }}
            </main>
        </div>
    }
}

thread_local! {
    static SOCKET_HANDLE: std::cell::RefCell<Option<Socket>> = const { std::cell::RefCell::new(None) };
}

fn with_socket(f: impl FnOnce(&Socket)) {
    SOCKET_HANDLE.with(|slot| {
        if let Some(socket) = slot.borrow().as_ref() {
            f(socket);
        }
    });
}
