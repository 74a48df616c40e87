//! Which sessions have a live actor, and the way into each one's mailbox:
//! the one place Tandem knows what is live (the wake dispatcher asks it;
//! the status column is what the store remembers across a restart).
//!
//! Handlers never touch a session's state: they put a command into its
//! mailbox. An actor leaves the registry only while its mailbox is empty,
//! under the same lock senders use, so no command is ever lost between an
//! actor deciding to end and a sender choosing it. An actor that dies any
//! other way (a panic) is removed by its supervisor.

use super::Command;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tandem_shared::{AssistantId, SessionId};
use tokio::sync::mpsc;

pub const MAILBOX_CAPACITY: usize = 64;

pub enum SendError {
    /// No live actor: the command comes back.
    NoActor(Command),
    /// The mailbox is full.
    Busy(Command),
}

struct Live {
    assistant_id: AssistantId,
    mailbox: mpsc::Sender<Command>,
    /// Registration order: the newest live session is the highest.
    since: u64,
}

#[derive(Default)]
pub struct Registry {
    actors: Mutex<HashMap<SessionId, Live>>,
    registered: std::sync::atomic::AtomicU64,
}

impl Registry {
    /// The map, even after a panic elsewhere poisoned the lock: every
    /// change to it is a single insert or remove, so it is never half-made.
    fn actors(&self) -> MutexGuard<'_, HashMap<SessionId, Live>> {
        self.actors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn send(&self, session_id: &SessionId, command: Command) -> Result<(), SendError> {
        let actors = self.actors();
        match actors.get(session_id) {
            None => Err(SendError::NoActor(command)),
            Some(live) => live.mailbox.try_send(command).map_err(|err| match err {
                mpsc::error::TrySendError::Full(command) => SendError::Busy(command),
                mpsc::error::TrySendError::Closed(command) => SendError::NoActor(command),
            }),
        }
    }

    /// Registers a new actor's mailbox unless one is live already; on
    /// success returns the receiving end.
    pub fn register(
        &self,
        session_id: &SessionId,
        assistant_id: &AssistantId,
    ) -> Option<mpsc::Receiver<Command>> {
        let mut actors = self.actors();
        if actors.contains_key(session_id) {
            return None;
        }
        let (tx, rx) = mpsc::channel(MAILBOX_CAPACITY);
        let since = self
            .registered
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        actors.insert(
            session_id.clone(),
            Live {
                assistant_id: assistant_id.clone(),
                mailbox: tx,
                since,
            },
        );
        Some(rx)
    }

    /// Called by an actor that has nothing left to do. Returns false, and
    /// keeps the actor registered, when a command arrived meanwhile.
    pub fn finish(&self, session_id: &SessionId, mailbox: &mpsc::Receiver<Command>) -> bool {
        let mut actors = self.actors();
        if !mailbox.is_empty() {
            return false;
        }
        actors.remove(session_id);
        true
    }

    /// Forgets an actor whatever its mailbox holds (shutdown, or an actor
    /// that died); commands left in it are dropped, which their senders see
    /// as "not running".
    pub fn remove(&self, session_id: &SessionId) {
        self.actors().remove(session_id);
    }

    pub fn is_live(&self, session_id: &SessionId) -> bool {
        self.actors().contains_key(session_id)
    }

    /// The assistant's newest live session, if it has one.
    pub fn live_of(&self, assistant_id: &AssistantId) -> Option<SessionId> {
        self.all_live_of(assistant_id).pop()
    }

    /// Every live session of the assistant, oldest first.
    pub fn all_live_of(&self, assistant_id: &AssistantId) -> Vec<SessionId> {
        let actors = self.actors();
        let mut live: Vec<(u64, &SessionId)> = actors
            .iter()
            .filter(|(_, live)| &live.assistant_id == assistant_id)
            .map(|(id, live)| (live.since, id))
            .collect();
        live.sort();
        live.into_iter().map(|(_, id)| id.clone()).collect()
    }

    pub fn live_count(&self) -> usize {
        self.actors().len()
    }
}
