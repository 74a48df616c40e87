//! Web Push: telling people's devices of what waits for them, while
//! Tandem is closed. `vapid.rs` is this server's signing key, `endpoint.rs`
//! which push services Tandem sends to, `messages.rs` what a push says,
//! `sender.rs` the task that encrypts (RFC 8291) and sends.

pub mod endpoint;
pub mod messages;
pub mod sender;
pub mod vapid;

pub use sender::{PushError, Pusher};
