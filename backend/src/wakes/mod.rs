//! Why assistants act. Every wake — a chat message, a routine, a task
//! assigned, a heartbeat — is recorded, then either starts a session or goes
//! into the assistant's live one:
//!
//! - a chat message while a session is live is a follow-up in it (queued
//!   behind the current turn);
//! - any other wake while a session is live waits, and wakes start in the
//!   order they came when the live session ends.
//!
//! An assistant whose sessions get worktrees of their own (a git workspace)
//! runs up to its `max_parallel` sessions at once: other wakes start while
//! a slot is free, and a chat message continues the newest live session
//! not started for a task (or starts one) — `queue_rule.rs`.
//!
//! One dispatcher task makes every such decision, so two wakes arriving at
//! once can never both start a session.

mod dispatcher;
pub mod precheck;
pub mod queue_rule;

pub use dispatcher::{Dispatcher, WakeError, WakeRequest, Wakes};
