//! Which sessions have a live actor, and the way into each one's mailbox.
//!
//! Handlers never touch a session's state: they put a command into its
//! mailbox. An actor leaves the registry only while its mailbox is empty,
//! under the same lock senders use, so no command is ever lost between an
//! actor deciding to end and a sender choosing it.

use super::Command;
use std::collections::HashMap;
use std::sync::Mutex;
use tandem_shared::SessionId;
use tokio::sync::mpsc;

pub const MAILBOX_CAPACITY: usize = 64;

pub enum SendError {
    /// No live actor: the command comes back.
    NoActor(Command),
    /// The mailbox is full.
    Busy(Command),
}

#[derive(Default)]
pub struct Registry {
    actors: Mutex<HashMap<SessionId, mpsc::Sender<Command>>>,
}

impl Registry {
    pub fn send(&self, session_id: &SessionId, command: Command) -> Result<(), SendError> {
        let Ok(actors) = self.actors.lock() else {
            return Err(SendError::Busy(command));
        };
        match actors.get(session_id) {
            None => Err(SendError::NoActor(command)),
            Some(mailbox) => mailbox.try_send(command).map_err(|err| match err {
                mpsc::error::TrySendError::Full(command) => SendError::Busy(command),
                mpsc::error::TrySendError::Closed(command) => SendError::NoActor(command),
            }),
        }
    }

    /// Registers a new actor's mailbox unless one is live already; on
    /// success returns the receiving end.
    pub fn register(&self, session_id: &SessionId) -> Option<mpsc::Receiver<Command>> {
        let mut actors = self.actors.lock().ok()?;
        if actors.contains_key(session_id) {
            return None;
        }
        let (tx, rx) = mpsc::channel(MAILBOX_CAPACITY);
        actors.insert(session_id.clone(), tx);
        Some(rx)
    }

    /// Called by an actor that has nothing left to do. Returns false, and
    /// keeps the actor registered, when a command arrived meanwhile.
    pub fn finish(&self, session_id: &SessionId, mailbox: &mpsc::Receiver<Command>) -> bool {
        let Ok(mut actors) = self.actors.lock() else {
            return true;
        };
        if !mailbox.is_empty() {
            return false;
        }
        actors.remove(session_id);
        true
    }

    pub fn is_live(&self, session_id: &SessionId) -> bool {
        self.actors
            .lock()
            .map(|actors| actors.contains_key(session_id))
            .unwrap_or(false)
    }

    pub fn live_count(&self) -> usize {
        self.actors.lock().map(|actors| actors.len()).unwrap_or(0)
    }
}
