//! Fan-out of stored events to live viewers.
//!
//! The session actor publishes a batch only after the store has it, so a
//! viewer that subscribes first and then reads the store misses nothing; it
//! drops what it already sent by `seq`.

use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tandem_shared::api::SessionSummary;
use tandem_shared::ws::ServerMessage;
use tandem_shared::{SessionId, TranscriptEvent};
use tokio::sync::{broadcast, watch};

/// Batches kept for slow viewers before they lag; a lagging viewer re-reads
/// from the store, it is never dropped.
const SESSION_CAPACITY: usize = 512;
const SIDEBAR_CAPACITY: usize = 1024;

pub type EventBatch = Arc<Batch>;

/// Stored events of one session, published together. Its wire form is
/// made once, however many viewers send it.
#[derive(Debug)]
pub struct Batch {
    pub session_id: SessionId,
    pub events: Vec<TranscriptEvent>,
    json: OnceLock<Option<Utf8Bytes>>,
}

impl Batch {
    pub fn new(session_id: SessionId, events: Vec<TranscriptEvent>) -> Batch {
        Batch {
            session_id,
            events,
            json: OnceLock::new(),
        }
    }

    /// `ServerMessage::Events` for the whole batch, serialised once (each
    /// socket's copy shares it).
    pub fn json(&self) -> Option<Utf8Bytes> {
        self.json
            .get_or_init(|| {
                serde_json::to_string(&ServerMessage::Events {
                    session_id: self.session_id.clone(),
                    events: self.events.clone(),
                })
                .ok()
                .map(Utf8Bytes::from)
            })
            .clone()
    }
}

/// A session's sidebar entry as it now stands, serialised once however
/// many sockets send it.
#[derive(Debug)]
pub struct SidebarEntry {
    pub session: SessionSummary,
    json: OnceLock<Option<Utf8Bytes>>,
}

impl SidebarEntry {
    /// `ServerMessage::Session` for it (each socket's copy shares it).
    pub fn json(&self) -> Option<Utf8Bytes> {
        self.json
            .get_or_init(|| {
                serde_json::to_string(&ServerMessage::Session {
                    session: self.session.clone(),
                })
                .ok()
                .map(Utf8Bytes::from)
            })
            .clone()
    }
}

pub struct Hub {
    sessions: Mutex<HashMap<SessionId, broadcast::Sender<EventBatch>>>,
    sidebar: broadcast::Sender<Arc<SidebarEntry>>,
    /// Bumped when membership changes: sockets re-check what they show.
    access: watch::Sender<u64>,
    /// Bumped when an approval opens or settles: sockets recount the badge.
    approvals: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        Hub {
            sessions: Mutex::new(HashMap::new()),
            sidebar: broadcast::channel(SIDEBAR_CAPACITY).0,
            access: watch::channel(0).0,
            approvals: watch::channel(0).0,
        }
    }

    pub fn publish(&self, events: EventBatch) {
        let session_id = events.session_id.clone();
        let Ok(mut sessions) = self.sessions.lock() else {
            return;
        };
        if let Some(sender) = sessions.get(&session_id) {
            if sender.send(events).is_err() {
                // Nobody listens any more.
                sessions.remove(&session_id);
            }
        }
    }

    pub fn subscribe(&self, session_id: &SessionId) -> broadcast::Receiver<EventBatch> {
        match self.sessions.lock() {
            Ok(mut sessions) => sessions
                .entry(session_id.clone())
                .or_insert_with(|| broadcast::channel(SESSION_CAPACITY).0)
                .subscribe(),
            // A poisoned lock means a panic elsewhere; hand out a receiver
            // that simply never yields rather than spreading the panic.
            Err(_) => broadcast::channel(1).0.subscribe(),
        }
    }

    pub fn publish_session(&self, summary: SessionSummary) {
        let _ = self.sidebar.send(Arc::new(SidebarEntry {
            session: summary,
            json: OnceLock::new(),
        }));
    }

    pub fn subscribe_sidebar(&self) -> broadcast::Receiver<Arc<SidebarEntry>> {
        self.sidebar.subscribe()
    }

    pub fn access_changed(&self) {
        self.access.send_modify(|generation| *generation += 1);
    }

    pub fn watch_access(&self) -> watch::Receiver<u64> {
        self.access.subscribe()
    }

    pub fn approvals_changed(&self) {
        self.approvals.send_modify(|generation| *generation += 1);
    }

    pub fn watch_approvals(&self) -> watch::Receiver<u64> {
        self.approvals.subscribe()
    }
}
