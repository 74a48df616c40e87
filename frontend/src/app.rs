//! App state, shared through context, and the top-level layout.

use crate::api;
use crate::socket::Socket;
use crate::views::{
    assistant::AssistantPage, new_session::NewSession, session::SessionView, settings::Settings,
    sidebar::Sidebar, tasks::TasksPage,
};
use leptos::prelude::*;
use tandem_shared::api::{Assistant, SessionSummary};
use tandem_shared::auth::User;
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{AssistantId, Seq, SessionId};

/// What the main area shows; mirrored in the URL hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    NewSession,
    Session(SessionId),
    Assistant(AssistantId),
    Tasks,
    Settings,
}

impl Page {
    fn hash(&self) -> String {
        match self {
            Page::NewSession => String::new(),
            Page::Session(id) => format!("#/sessions/{id}"),
            Page::Assistant(id) => format!("#/assistants/{id}"),
            Page::Tasks => "#/tasks".into(),
            Page::Settings => "#/settings".into(),
        }
    }

    fn from_hash(hash: &str) -> Page {
        let id = |prefix: &str| hash.strip_prefix(prefix).filter(|id| !id.is_empty());
        if let Some(id) = id("#/sessions/") {
            Page::Session(SessionId::from(id))
        } else if let Some(id) = id("#/assistants/") {
            Page::Assistant(AssistantId::from(id))
        } else if hash == "#/tasks" {
            Page::Tasks
        } else if hash == "#/settings" {
            Page::Settings
        } else {
            Page::NewSession
        }
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub page: RwSignal<Page>,
    pub sessions: RwSignal<Vec<SessionSummary>>,
    pub assistants: RwSignal<Vec<Assistant>>,
    pub selected: RwSignal<Option<SessionId>>,
    pub transcript: RwSignal<Transcript>,
    pub error: RwSignal<Option<String>>,
    pub socket: Socket,
    /// Who is logged in.
    pub user: StoredValue<User>,
    /// Approvals waiting across every assistant this person sees (live).
    pub pending: RwSignal<u32>,
}

impl AppState {
    pub fn select(&self, id: Option<SessionId>) {
        self.go(match id {
            Some(id) => Page::Session(id),
            None => Page::NewSession,
        });
    }

    /// Shows a page: follows its session's transcript, or leaves it.
    pub fn go(&self, page: Page) {
        let session = match &page {
            Page::Session(id) => Some(id.clone()),
            _ => None,
        };
        if let Some(old) = self.selected.get_untracked() {
            if Some(&old) != session.as_ref() {
                self.socket
                    .send(&ClientMessage::Unsubscribe { session_id: old });
            }
        }
        if session != self.selected.get_untracked() {
            self.transcript.set(Transcript::default());
        }
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&page.hash());
        }
        let changed = session != self.selected.get_untracked();
        self.selected.set(session.clone());
        self.page.set(page);
        if let (true, Some(session_id)) = (changed, session) {
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

fn page_from_hash() -> Page {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Page::from_hash(&hash)
}

#[component]
pub fn App(user: User) -> impl IntoView {
    let sessions = RwSignal::new(Vec::<SessionSummary>::new());
    let first_page = page_from_hash();
    let selected = RwSignal::new(match &first_page {
        Page::Session(id) => Some(id.clone()),
        _ => None,
    });
    let page = RwSignal::new(first_page);
    let transcript = RwSignal::new(Transcript::default());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(0u32);

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
        ServerMessage::PendingApprovals { count } => pending.set(count),
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
    let socket = Socket::new("/api/ws".into(), on_message, on_open);
    SOCKET_HANDLE.with(|slot| *slot.borrow_mut() = Some(socket));
    let state = AppState {
        page,
        sessions,
        assistants: RwSignal::new(Vec::new()),
        selected,
        transcript,
        error,
        socket,
        user: StoredValue::new(user),
        pending,
    };
    provide_context(state);

    // Back, forward and pasted links change the hash: follow it.
    let on_hash = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        let wanted = page_from_hash();
        if wanted != state.page.get_untracked() {
            state.go(wanted);
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
                {move || match page.get() {
                    Page::Session(id) => view! { <SessionView id=id /> }.into_any(),
                    Page::Assistant(id) => view! { <AssistantPage id=id /> }.into_any(),
                    Page::Tasks => view! { <TasksPage /> }.into_any(),
                    Page::Settings => view! { <Settings /> }.into_any(),
                    Page::NewSession => view! { <NewSession /> }.into_any(),
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
