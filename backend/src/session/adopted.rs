//! A runner's agent a server takes over from another, and where the run
//! that started it stood (see `takeover.rs`).

use crate::runners::links::{Remote, RemoteInput};
use crate::store::RemoteRun;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A runner's agent this server is taking over, with where its run stood.
pub struct Adopted {
    pub remote: Arc<Remote>,
    pub lines: mpsc::Receiver<RemoteInput>,
    pub run: RemoteRun,
    /// Stdin lines the runner has (and so request ids the agent has seen).
    pub stdin_lines: u64,
}

/// Where the run taken over stood, for the run going on.
pub struct Adoption {
    pub agent_session: Option<String>,
    pub prompt_id: Option<Value>,
    pub stored_lines: u64,
    pub token_hash: Option<String>,
}

impl From<RemoteRun> for Adoption {
    fn from(run: RemoteRun) -> Adoption {
        Adoption {
            agent_session: run.agent_session,
            prompt_id: run
                .prompt_id
                .and_then(|id| serde_json::from_str::<Value>(&id).ok()),
            stored_lines: run.stored_lines,
            token_hash: run.token_hash,
        }
    }
}
