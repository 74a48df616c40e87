//! Sessions: one actor task per live session owns its agent process, and
//! everything that changes a session goes through that actor's mailbox.

pub mod actor;
pub mod adopted;
pub mod agent_settings;
pub mod client_fs;
pub mod command;
pub mod context;
pub mod continuity;
pub mod ending;
pub mod follow_ups;
pub mod forwarded;
mod handshake;
pub mod live;
pub mod log;
pub mod manager;
pub mod permissions;
pub mod reach;
pub mod registry;
pub mod replay;
pub mod rules;
mod run;
mod run_record;
mod spending;
mod stepping_in;
pub mod summary;
mod supervisor;
pub mod sweep;
pub mod takeover;
pub mod title;
mod turns;

pub use command::{Command, DecideError, SessionError};
pub use context::{Context, RuntimeConfig};
pub use manager::{Sessions, StartRequest};

use tandem_shared::{AssistantId, SessionId, SessionStatus};

/// What session actors tell the wake dispatcher: a run ended (sent once
/// the registry knows whether the actor goes on, so the dispatcher sees the
/// assistant free exactly when it is).
#[derive(Debug, Clone)]
pub enum Lifecycle {
    Ended {
        assistant_id: AssistantId,
        session_id: SessionId,
        title: String,
        status: SessionStatus,
        reason: Option<String>,
        summary: String,
    },
    /// Another server's sessions of this assistant were cut off (that
    /// server died): its queued wakes may start.
    Freed { assistant_id: AssistantId },
}
