//! The wire types Tandem's backend and frontend share.
//!
//! Everything here is plain data with serde derives; nothing does I/O, so the
//! crate compiles for both `wasm32-unknown-unknown` and the server.

pub mod agent_state;
pub mod api;
pub mod auth;
pub mod budget;
pub mod changes;
pub mod event;
pub mod ids;
pub mod line_diff;
pub mod markdown;
pub mod runner;
pub mod servers;
pub mod spend;
pub mod status;
pub mod summary_fold;
mod tag_first;
pub mod tool_calls;
pub mod transcript;
pub mod usage_chart;
pub mod usage_report;
pub mod window;
pub mod ws;

pub use event::*;
pub use ids::*;
pub use status::*;
