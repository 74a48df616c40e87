//! The tools Tandem offers every session's agent through MCP: read and
//! write the assistant's memory, append to its journal, list, create and
//! update tasks, post in its chat, wake another assistant, read the change
//! its session made and propose merging it.
//!
//! The agent starts `tandem mcp` (named in `session/new`'s `mcpServers`), an
//! MCP server on stdio; each tool call goes to Tandem's API with a bearer
//! token that belongs to that one run of that one assistant. What the tools
//! see of other assistants and tasks is bounded by `reach`.

pub mod calls;
mod diff_text;
pub mod mcp_server;
pub mod reach;
pub mod tokens;

pub use tokens::{Grant, ToolTokens};
