//! Per-assistant secrets (model keys, a gateway's URL): entered once,
//! sealed at rest, put into that assistant's agent environment only, and
//! never shown again — people replace or delete them.

pub mod names;
pub mod vault;

pub use vault::{Vault, VaultError};

/// An assistant's secrets as environment variables; one that does not open
/// (another key, a changed row) is an error naming it, never its value.
pub async fn environment(
    ctx: &crate::session::Context,
    assistant: &tandem_shared::AssistantId,
) -> Result<Vec<(String, String)>, String> {
    let sealed = ctx
        .store
        .secrets(assistant)
        .await
        .map_err(|error| error.explain())?;
    sealed
        .into_iter()
        .map(|secret| {
            let owner = format!("{assistant}/{}", secret.name);
            ctx.vault
                .open_sealed(&owner, &secret.sealed)
                .map(|value| (secret.name.clone(), value))
                .map_err(|error| {
                    format!(
                        "the assistant's secret {}: {error}; enter it again",
                        secret.name
                    )
                })
        })
        .collect()
}
