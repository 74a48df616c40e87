//! Sessions: one actor task per live session owns its agent process, and
//! everything that changes a session goes through that actor's mailbox.

pub mod actor;
pub mod client_fs;
pub mod command;
pub mod context;
pub mod continuity;
pub mod manager;
pub mod registry;
pub mod rules;
pub mod summary;
pub mod title;

pub use command::{Command, DecideError, SessionError};
pub use context::{Context, RuntimeConfig};
pub use manager::{Sessions, StartRequest};

use tandem_shared::{AssistantId, SessionId, SessionStatus};

/// What session actors tell the wake dispatcher: an assistant's runs start
/// and end.
#[derive(Debug, Clone)]
pub enum Lifecycle {
    Started {
        assistant_id: AssistantId,
        session_id: SessionId,
    },
    Ended {
        assistant_id: AssistantId,
        session_id: SessionId,
        title: String,
        status: SessionStatus,
        reason: Option<String>,
        summary: String,
    },
}
