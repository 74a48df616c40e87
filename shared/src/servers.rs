//! The Tandem servers serving one team from one database, as an admin's
//! settings list them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerNode {
    pub id: String,
    /// `--node-name`, or the machine and port.
    pub name: String,
    pub host: String,
    /// Where it listens.
    pub addr: String,
    pub version: String,
    pub started_at: i64,
    /// Its last heartbeat.
    pub seen_at: i64,
    /// Still renewing its lease.
    pub alive: bool,
    /// The server that answered this request.
    pub this_one: bool,
    /// Live sessions it runs.
    pub live_sessions: u32,
}
