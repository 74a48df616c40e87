//! What every session actor shares: the store, the hub, the seams.

use crate::clock::{Clock, IdGen};
use crate::hub::Hub;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// This binary: the built-in shell agent runs as `tandem agent shell`.
    pub tandem_exe: PathBuf,
    /// How long an agent may take to answer `initialize` and `session/new`.
    pub agent_start_timeout: Duration,
    /// After `session/cancel`, how long the agent has to end its turn.
    pub cancel_grace: Duration,
    /// After stdin closes, how long the agent has to exit before SIGTERM.
    pub exit_grace: Duration,
    /// Warm sessions rotate: past this age or this many turns, the next run
    /// starts cold, so an agent's context does not grow without bound.
    pub rotate_after: Duration,
    pub rotate_turns: u64,
    /// A turn with no event from the agent for this long, while it is not
    /// waiting for a person, fails as hung.
    pub hang_timeout: Duration,
    /// Names of the server's environment passed to every agent on purpose
    /// (an exported model key, say); agents get nothing else of it beyond
    /// what programs need.
    pub agent_env: Vec<String>,
    /// How agents are confined (Landlock), and whether they must be.
    pub sandbox: crate::sandbox::Sandbox,
}

impl RuntimeConfig {
    pub fn new(tandem_exe: PathBuf) -> RuntimeConfig {
        RuntimeConfig {
            tandem_exe,
            agent_start_timeout: Duration::from_secs(120),
            cancel_grace: Duration::from_secs(10),
            exit_grace: Duration::from_secs(3),
            rotate_after: Duration::from_secs(24 * 3600),
            rotate_turns: 200,
            hang_timeout: Duration::from_secs(30 * 60),
            agent_env: Vec::new(),
            sandbox: crate::sandbox::Sandbox::new(crate::sandbox::SandboxMode::Auto, Vec::new()),
        }
    }
}

pub struct Context {
    /// Where assistants may work.
    pub places: crate::workspaces::Places,
    pub store: Store,
    /// Group commit of transcript events.
    pub appender: crate::store::Appender,
    /// Tokens for the tools each run's agent may call (`tandem mcp`).
    pub tool_tokens: Arc<crate::agent_tools::ToolTokens>,
    /// This server's own URL, once it listens: where `tandem mcp` calls.
    pub api_url: Arc<std::sync::OnceLock<String>>,
    /// Runs starting and ending, for the wake dispatcher.
    pub lifecycle: tokio::sync::mpsc::Sender<super::Lifecycle>,
    pub hub: Arc<Hub>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub config: RuntimeConfig,
    /// Tandem stopping; actors are tracked by it so it can wait for them.
    pub shutdown: crate::shutdown::Shutdown,
    /// Opens assistants' secrets for their agents' environments.
    pub vault: Arc<crate::secrets::Vault>,
    /// Tells people's devices of approvals and endings.
    pub push: crate::push::Pusher,
    /// This server among the servers on one database (alone on SQLite).
    pub cluster: Arc<crate::cluster::Cluster>,
    /// The runners linked to this server, and their agents.
    pub runners: Arc<crate::runners::links::Links>,
}
