//! Tandem's server: the HTTP API and WebSocket, one actor per live session,
//! the agent runtime over ACP, and the built-in shell agent.
//!
//! See `ARCHITECTURE.md` at the repository root for the map.

pub mod accounts;
pub mod acp;
pub mod agent_tools;
pub mod agents;
pub mod budgets;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod http;
pub mod hub;
pub mod memory;
pub mod migrate;
pub mod push;
pub mod review;
pub mod routines;
pub mod runner;
pub mod runners;
pub mod sandbox;
pub mod secrets;
pub mod server;
pub mod session;
pub mod shell_agent;
pub mod shutdown;
pub mod store;
pub mod test_hooks;
pub mod text;
pub mod wakes;
pub mod workspaces;
pub mod worktrees;
