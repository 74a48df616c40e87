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

/// One session's viewers here, and the last `seq` this hub has sent them.
struct Channel {
    sender: broadcast::Sender<EventBatch>,
    published: u64,
}

pub struct Hub {
    sessions: Mutex<HashMap<SessionId, Channel>>,
    sidebar: broadcast::Sender<Arc<SidebarEntry>>,
    /// Bumped when membership changes: sockets re-check what they show.
    access: watch::Sender<u64>,
    /// Bumped when an approval opens or settles: sockets recount the badge.
    approvals: watch::Sender<u64>,
    /// What other servers on the same database must hear (a sidebar entry,
    /// a badge, membership): set when the store is shared.
    cluster: OnceLock<tokio::sync::mpsc::UnboundedSender<crate::cluster::Signal>>,
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
            cluster: OnceLock::new(),
        }
    }

    /// From now on, changes are also told to the other servers.
    pub fn tell_cluster(
        &self,
        signals: tokio::sync::mpsc::UnboundedSender<crate::cluster::Signal>,
    ) {
        let _ = self.cluster.set(signals);
    }

    fn signal(&self, signal: crate::cluster::Signal) {
        if let Some(cluster) = self.cluster.get() {
            let _ = cluster.send(signal);
        }
    }

    pub fn publish(&self, events: EventBatch) {
        let session_id = events.session_id.clone();
        let Ok(mut sessions) = self.sessions.lock() else {
            return;
        };
        if let Some(channel) = sessions.get_mut(&session_id) {
            if let Some(last) = events.events.last() {
                channel.published = channel.published.max(last.seq.0);
            }
            if channel.sender.send(events).is_err() {
                // Nobody listens any more.
                sessions.remove(&session_id);
            }
        }
    }

    pub fn subscribe(&self, session_id: &SessionId) -> broadcast::Receiver<EventBatch> {
        match self.sessions.lock() {
            Ok(mut sessions) => sessions
                .entry(session_id.clone())
                .or_insert_with(|| Channel {
                    sender: broadcast::channel(SESSION_CAPACITY).0,
                    published: 0,
                })
                .sender
                .subscribe(),
            // A poisoned lock means a panic elsewhere; hand out a receiver
            // that simply never yields rather than spreading the panic.
            Err(_) => broadcast::channel(1).0.subscribe(),
        }
    }

    /// Sessions with viewers here, and the last `seq` sent to them (0:
    /// nothing yet): what the relay of other servers' events looks at.
    pub fn watched(&self) -> Vec<(SessionId, u64)> {
        match self.sessions.lock() {
            Ok(mut sessions) => {
                sessions.retain(|_, channel| channel.sender.receiver_count() > 0);
                sessions
                    .iter()
                    .map(|(id, channel)| (id.clone(), channel.published))
                    .collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// The last `seq` sent to the session's viewers here, while it has any.
    pub fn published(&self, session_id: &SessionId) -> Option<u64> {
        let sessions = self.sessions.lock().ok()?;
        let channel = sessions.get(session_id)?;
        (channel.sender.receiver_count() > 0).then_some(channel.published)
    }

    pub fn publish_session(&self, summary: SessionSummary) {
        self.signal(crate::cluster::Signal::Session {
            id: summary.id.clone(),
        });
        self.publish_session_here(summary);
    }

    /// A sidebar entry for this server's viewers only (one another server
    /// announced).
    pub fn publish_session_here(&self, summary: SessionSummary) {
        let _ = self.sidebar.send(Arc::new(SidebarEntry {
            session: summary,
            json: OnceLock::new(),
        }));
    }

    pub fn subscribe_sidebar(&self) -> broadcast::Receiver<Arc<SidebarEntry>> {
        self.sidebar.subscribe()
    }

    pub fn access_changed(&self) {
        self.signal(crate::cluster::Signal::Access);
        self.access_changed_here();
    }

    pub fn access_changed_here(&self) {
        self.access.send_modify(|generation| *generation += 1);
    }

    pub fn watch_access(&self) -> watch::Receiver<u64> {
        self.access.subscribe()
    }

    pub fn approvals_changed(&self) {
        self.signal(crate::cluster::Signal::Approvals);
        self.approvals_changed_here();
    }

    pub fn approvals_changed_here(&self) {
        self.approvals.send_modify(|generation| *generation += 1);
    }

    pub fn watch_approvals(&self) -> watch::Receiver<u64> {
        self.approvals.subscribe()
    }
}
