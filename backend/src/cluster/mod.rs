//! Several Tandem servers on one PostgreSQL database.
//!
//! Each server is a node with a lease (its row, renewed by heartbeat). A
//! live session is owned by the node whose actor runs it; the others reach
//! it through the database: commands are rows its owner takes, events are
//! read from the store when NOTIFY says they were stored, and a node that
//! stops renewing loses its sessions to whichever node notices first. On
//! SQLite there is one server and all of this stands aside.
//!
//! - `node.rs`: who this server is, its heartbeat, the sweep of dead nodes'
//!   sessions.
//! - `listen.rs`: the one LISTEN connection, and what each channel does.
//! - `relay.rs`: events of sessions run elsewhere, to this server's viewers.
//! - `remote.rs`: commands for a session another node owns, and replies.

pub mod listen;
pub mod node;
pub mod relay;
pub mod remote;

use crate::clock::Clock;
use crate::store::{Backend, CommandRow, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_shared::{AssistantId, SessionId};
use tokio::sync::{mpsc, oneshot, Notify};

pub use remote::{RemoteCommand, RemoteReply};

/// The channels nodes speak on.
pub const SIGNALS_CHANNEL: &str = "tandem_signals";
pub const COMMANDS_CHANNEL: &str = "tandem_commands";
pub const REPLIES_CHANNEL: &str = "tandem_replies";

/// How long a forwarded command waits for its owner's answer.
const REPLY_WAIT: Duration = Duration::from_secs(60);

/// What one node tells the others happened, for their viewers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// A session's sidebar entry changed: read it again.
    Session { id: SessionId },
    /// An approval opened or settled: recount badges.
    Approvals,
    /// Membership changed: sockets check what they show.
    Access,
    /// Routines changed: schedulers read them again.
    Routines,
    /// A runner was revoked: whichever server holds its link closes it.
    RunnerRevoked { id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server running this session did not answer in time")]
    NoAnswer,
    #[error("the answer from the server running this session is not readable: {0}")]
    Garbled(String),
    #[error(
        "another Tandem server is running as node `{name}` (pid {pid} on this machine); \
         give each server its own --node-name"
    )]
    NameTaken { name: String, pid: i64 },
    #[error(
        "this server's {key} differs from the one the other servers on this database use; \
         copy the data directory's {file} from one of them"
    )]
    KeyMismatch {
        key: &'static str,
        file: &'static str,
    },
}

/// Where a session's actor runs, seen from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node owns it (or there is only this node).
    Mine,
    /// A live node owns it.
    Elsewhere(String),
}

/// This node, as every part of the server sees it.
pub struct Cluster {
    pub node_id: String,
    pub name: String,
    pub host: String,
    /// Other servers may share the store (PostgreSQL).
    shared: bool,
    lease: Duration,
    store: Store,
    clock: Arc<dyn Clock>,
    /// Forwarded commands waiting for their answer, by command id.
    waiting: Mutex<HashMap<String, oneshot::Sender<()>>>,
    /// Signals for the other nodes, sent by the notifier task.
    signals: mpsc::UnboundedSender<Signal>,
    signals_rx: Mutex<Option<mpsc::UnboundedReceiver<Signal>>>,
    /// Commands for this node may be waiting in the store.
    pub commands_ready: Notify,
}

impl Cluster {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        node_id: String,
        name: String,
        lease: Duration,
    ) -> Cluster {
        let (signals, signals_rx) = mpsc::unbounded_channel();
        Cluster {
            shared: store.backend() == Backend::Postgres,
            host: node::host_name(),
            node_id,
            name,
            lease,
            store,
            clock,
            waiting: Mutex::new(HashMap::new()),
            signals,
            signals_rx: Mutex::new(Some(signals_rx)),
            commands_ready: Notify::new(),
        }
    }

    /// Whether other servers may run on this store.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Nodes seen after this are alive.
    pub fn fresh_after(&self) -> i64 {
        self.clock.now_ms() - self.lease.as_millis() as i64
    }

    /// Takes ownership of a session about to get an actor here, unless a
    /// live node owns it.
    pub async fn claim(
        &self,
        session_id: &SessionId,
        assistant_id: &AssistantId,
    ) -> Result<Claim, StoreError> {
        if !self.shared {
            return Ok(Claim::Mine);
        }
        let now = self.clock.now_ms();
        let fresh = self.fresh_after();
        if self
            .store
            .claim_session(session_id, assistant_id, &self.node_id, now, fresh)
            .await?
        {
            return Ok(Claim::Mine);
        }
        match self.store.owner_of(session_id, fresh).await? {
            Some(owner) if owner.alive && owner.node_id != self.node_id => {
                Ok(Claim::Elsewhere(owner.node_id))
            }
            // It changed hands between the two reads: try once more.
            _ => Ok(
                if self
                    .store
                    .claim_session(session_id, assistant_id, &self.node_id, now, fresh)
                    .await?
                {
                    Claim::Mine
                } else {
                    Claim::Elsewhere(String::new())
                },
            ),
        }
    }

    /// The actor here ended: the session is nobody's until it resumes.
    pub async fn release(&self, session_id: &SessionId) {
        if !self.shared {
            return;
        }
        if let Err(error) = self.store.release_session(session_id, &self.node_id).await {
            // Left behind, the row dies with this node's lease.
            tracing::warn!(session = %session_id, %error, "could not release a session");
        }
    }

    /// The live node other than this one that runs the session, if any.
    pub async fn owner_elsewhere(
        &self,
        session_id: &SessionId,
    ) -> Result<Option<String>, StoreError> {
        if !self.shared {
            return Ok(None);
        }
        Ok(self
            .store
            .owner_of(session_id, self.fresh_after())
            .await?
            .filter(|owner| owner.alive && owner.node_id != self.node_id)
            .map(|owner| owner.node_id))
    }

    /// The assistant's sessions live on any server, oldest first; `None`
    /// on a single server (its registry knows).
    pub async fn live_sessions_of(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Option<Vec<SessionId>>, StoreError> {
        if !self.shared {
            return Ok(None);
        }
        self.store
            .live_owned_sessions(assistant_id, self.fresh_after())
            .await
            .map(Some)
    }

    /// Tells the other nodes (nothing on a single server).
    pub fn signal(&self, signal: Signal) {
        if self.shared {
            let _ = self.signals.send(signal);
        }
    }

    /// Where the hub sends what other servers must hear (none on SQLite).
    pub fn signal_sender(&self) -> Option<mpsc::UnboundedSender<Signal>> {
        self.shared.then(|| self.signals.clone())
    }

    fn take_signals(&self) -> Option<mpsc::UnboundedReceiver<Signal>> {
        self.signals_rx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Sends a command to the node that owns the session and waits for its
    /// answer: the row is the command, NOTIFY only wakes the owner (which
    /// also looks every heartbeat, should a notification be lost).
    pub async fn forward(
        &self,
        to_node: &str,
        session_id: &SessionId,
        command: &RemoteCommand,
    ) -> Result<RemoteReply, ClusterError> {
        let id = format!("cmd_{}", uuid::Uuid::new_v4().simple());
        let body =
            serde_json::to_string(command).map_err(|e| ClusterError::Garbled(e.to_string()))?;
        let (tx, mut rx) = oneshot::channel();
        self.waiting_map().insert(id.clone(), tx);
        let row = CommandRow {
            id: id.clone(),
            session_id: session_id.clone(),
            from_node: self.node_id.clone(),
            body,
        };
        let sent = async {
            self.store
                .add_cluster_command(&row, to_node, self.clock.now_ms())
                .await?;
            self.store
                .notify(COMMANDS_CHANNEL, &format!("{to_node} {id}"))
                .await
        }
        .await;
        if let Err(error) = sent {
            self.waiting_map().remove(&id);
            return Err(error.into());
        }
        let deadline = tokio::time::Instant::now() + REPLY_WAIT;
        let answer = loop {
            if let Some(reply) = self.store.take_cluster_reply(&id).await? {
                break Ok(reply);
            }
            // Woken by the reply's NOTIFY, or look again each second.
            let wait = tokio::time::sleep(Duration::from_secs(1));
            tokio::select! {
                _ = &mut rx => {
                    let (again, fresh) = oneshot::channel();
                    rx = fresh;
                    self.waiting_map().insert(id.clone(), again);
                }
                _ = wait => {
                    // A node whose lease ran out will not answer.
                    let alive = self.store.node_alive(to_node, self.fresh_after()).await;
                    if matches!(alive, Ok(false)) {
                        break Err(ClusterError::NoAnswer);
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                break Err(ClusterError::NoAnswer);
            }
        };
        self.waiting_map().remove(&id);
        match answer {
            Ok(reply) => {
                serde_json::from_str(&reply).map_err(|e| ClusterError::Garbled(e.to_string()))
            }
            Err(error) => {
                let _ = self.store.forget_cluster_command(&id).await;
                Err(error)
            }
        }
    }

    /// A reply arrived for one of this node's commands.
    fn replied(&self, id: &str) {
        if let Some(waiter) = self.waiting_map().remove(id) {
            let _ = waiter.send(());
        }
    }

    /// Notifications may have been lost: every waiter looks again.
    fn wake_all_waiters(&self) {
        for (_, waiter) in self.waiting_map().drain() {
            let _ = waiter.send(());
        }
    }

    fn waiting_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
