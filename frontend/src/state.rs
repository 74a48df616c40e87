//! The web app's state, shared through context: which page is shown, the
//! sidebar's lists, the followed session, the socket, who is logged in.
//! Views read and change it; it knows no view.

use crate::follow::Follow;
use crate::socket::Socket;
use leptos::prelude::*;
use tandem_shared::api::{Assistant, SessionSummary};
use tandem_shared::auth::User;
use tandem_shared::{AssistantId, SessionId};

/// What the main area shows; mirrored in the URL hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    NewSession,
    NewAssistant,
    Session(SessionId),
    /// A session's Changes tab.
    Changes(SessionId),
    Assistant(AssistantId),
    Tasks,
    Settings,
    /// Phones: the tab bar's lists (on desktop the sidebar shows them).
    Chats,
    Sessions,
    Approvals,
    Usage,
}

impl Page {
    pub fn hash(&self) -> String {
        match self {
            Page::NewSession => String::new(),
            Page::NewAssistant => "#/assistants/new".into(),
            Page::Session(id) => format!("#/sessions/{id}"),
            Page::Changes(id) => format!("#/sessions/{id}/changes"),
            Page::Assistant(id) => format!("#/assistants/{id}"),
            Page::Tasks => "#/tasks".into(),
            Page::Settings => "#/settings".into(),
            Page::Chats => "#/chats".into(),
            Page::Sessions => "#/sessions".into(),
            Page::Approvals => "#/approvals".into(),
            Page::Usage => "#/usage".into(),
        }
    }

    pub fn from_hash(hash: &str) -> Page {
        let id = |prefix: &str| hash.strip_prefix(prefix).filter(|id| !id.is_empty());
        if hash == "#/assistants/new" {
            Page::NewAssistant
        } else if let Some(id) = id("#/sessions/") {
            match id.strip_suffix("/changes") {
                Some(id) if !id.is_empty() => Page::Changes(SessionId::from(id)),
                _ => Page::Session(SessionId::from(id)),
            }
        } else if let Some(id) = id("#/assistants/") {
            Page::Assistant(AssistantId::from(id))
        } else {
            match hash {
                "#/tasks" => Page::Tasks,
                "#/settings" => Page::Settings,
                "#/chats" => Page::Chats,
                "#/sessions" => Page::Sessions,
                "#/approvals" => Page::Approvals,
                "#/usage" => Page::Usage,
                _ => Page::NewSession,
            }
        }
    }

    /// The page the address bar names now.
    pub fn current() -> Page {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        Page::from_hash(&hash)
    }

    /// The session the page shows, followed live.
    pub fn session(&self) -> Option<SessionId> {
        match self {
            Page::Session(id) | Page::Changes(id) => Some(id.clone()),
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub page: RwSignal<Page>,
    pub sessions: RwSignal<Vec<SessionSummary>>,
    pub assistants: RwSignal<Vec<Assistant>>,
    /// The session page's transcript, followed live.
    pub follow: Follow,
    pub error: RwSignal<Option<String>>,
    /// Who is logged in.
    pub user: StoredValue<User>,
    /// Approvals waiting across every assistant this person sees (live).
    pub pending: RwSignal<u32>,
}

impl AppState {
    pub fn new(user: User, socket: Socket, first_page: Page) -> AppState {
        let sessions = RwSignal::new(Vec::new());
        AppState {
            follow: Follow::keeping_offline(socket, first_page.session(), sessions),
            page: RwSignal::new(first_page),
            sessions,
            assistants: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            user: StoredValue::new(user),
            pending: RwSignal::new(0),
        }
    }

    pub fn select(&self, id: Option<SessionId>) {
        self.go(match id {
            Some(id) => Page::Session(id),
            None => Page::NewSession,
        });
    }

    /// Shows a page, following its session's transcript (or none).
    pub fn go(&self, page: Page) {
        if let Some(window) = web_sys::window() {
            // Only the address bar: the page changes either way.
            let _ = window.location().set_hash(&page.hash());
        }
        self.follow.follow(page.session());
        self.page.set(page);
    }

    /// The id of the session shown, if a session page is.
    pub fn selected(&self) -> Option<SessionId> {
        self.follow.session.get()
    }

    pub fn report(&self, result: Result<(), String>) {
        if let Err(message) = result {
            self.error.set(Some(message));
        }
    }

    /// A call's error goes to the banner; its value, if any, comes back.
    pub fn ok<T>(&self, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.error.set(Some(message));
                None
            }
        }
    }
}
