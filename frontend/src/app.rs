//! App state, shared through context, and the top-level layout.

use crate::api;
use crate::pwa;
use crate::socket::Socket;
use crate::views::{
    approvals::ApprovalsPage,
    assistant::AssistantPage,
    new_session::NewSession,
    session::SessionView,
    settings::Settings,
    sidebar::{AssistantList, SessionList, Sidebar},
    tabbar::TabBar,
    tasks::TasksPage,
};
use leptos::prelude::*;
use tandem_shared::api::{Assistant, SessionSummary};
use tandem_shared::auth::User;
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{AssistantId, Seq, SessionId, SessionStatus};

/// What the main area shows; mirrored in the URL hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    NewSession,
    Session(SessionId),
    Assistant(AssistantId),
    Tasks,
    Settings,
    /// Phones: the tab bar's lists (on desktop the sidebar shows them).
    Chats,
    Sessions,
    Approvals,
}

impl Page {
    fn hash(&self) -> String {
        match self {
            Page::NewSession => String::new(),
            Page::Session(id) => format!("#/sessions/{id}"),
            Page::Assistant(id) => format!("#/assistants/{id}"),
            Page::Tasks => "#/tasks".into(),
            Page::Settings => "#/settings".into(),
            Page::Chats => "#/chats".into(),
            Page::Sessions => "#/sessions".into(),
            Page::Approvals => "#/approvals".into(),
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
        } else if hash == "#/chats" {
            Page::Chats
        } else if hash == "#/sessions" {
            Page::Sessions
        } else if hash == "#/approvals" {
            Page::Approvals
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
            let before = sessions
                .with_untracked(|list| list.iter().find(|s| s.id == session.id).map(|s| s.status));
            announce(before, &session);
            sessions.update(|list| {
                if session.archived {
                    list.retain(|s| s.id != session.id);
                    return;
                }
                match list.iter_mut().find(|s| s.id == session.id) {
                    Some(existing) => *existing = session,
                    None => {
                        // Newest first: a session brought back from the
                        // archive goes where its day is.
                        let at = list
                            .iter()
                            .position(|s| s.created_at < session.created_at)
                            .unwrap_or(list.len());
                        list.insert(at, session)
                    }
                }
            })
        }
        ServerMessage::PendingApprovals { count } => {
            pending.set(count);
            pwa::set_badge(count);
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
                    Page::Session(id) => view! { <SessionView id=id /> }.into_any(),
                    Page::Assistant(id) => view! { <AssistantPage id=id /> }.into_any(),
                    Page::Tasks => view! { <TasksPage /> }.into_any(),
                    Page::Settings => view! { <Settings /> }.into_any(),
                    Page::NewSession => view! { <NewSession /> }.into_any(),
                    Page::Approvals => view! { <ApprovalsPage /> }.into_any(),
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
                            <button class="nav-item" data-testid="chats-settings" on:click=move |_| state.go(Page::Settings)>"⚙ Settings"</button>
                        </section>
                    }.into_any(),
                }}
            </main>
            <TabBar />
        </div>
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
