//! Per-assistant secrets (model keys, a gateway's URL): entered once,
//! sealed at rest, put into that assistant's agent environment only, and
//! never shown again — people replace or delete them.

pub mod names;
pub mod vault;

pub use vault::{Vault, VaultError};
