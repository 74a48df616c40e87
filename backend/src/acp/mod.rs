//! Tandem as an Agent Client Protocol client: line framing, the agent
//! process, and the fold from ACP updates into transcript events.
//!
//! The message bodies are `agent-client-protocol-schema`'s types, so they
//! match the spec exactly; the transport is ours because the session actor
//! owns the process and selects over its lines, its mailbox and its timers.

pub mod connection;
pub mod fold;
pub mod inbound;
pub mod jsonrpc;
pub mod process_group;

pub use agent_client_protocol_schema::v1 as schema;
