//! Assistants' sealed secrets (see `crate::secrets`): the store never sees
//! a value in the clear.

use super::{int, text, Store, StoreError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tandem_shared::AssistantId;

/// A secret as kept: its name, its sealed value, when it was last set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub name: String,
    pub sealed: Vec<u8>,
    pub updated_at: i64,
}

impl Store {
    pub async fn put_secret(
        &self,
        assistant_id: &AssistantId,
        name: &str,
        sealed: &[u8],
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assistant_secrets (assistant_id, name, sealed, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (assistant_id, name) DO UPDATE SET sealed = excluded.sealed, \
             updated_at = excluded.updated_at",
        )
        .bind(assistant_id.as_str())
        .bind(name)
        .bind(STANDARD.encode(sealed))
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Whether there was one to delete.
    pub async fn delete_secret(
        &self,
        assistant_id: &AssistantId,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM assistant_secrets WHERE assistant_id = $1 AND name = $2")
                .bind(assistant_id.as_str())
                .bind(name)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// An assistant's secrets, by name.
    pub async fn secrets(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Vec<SealedSecret>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, sealed, updated_at FROM assistant_secrets \
             WHERE assistant_id = $1 ORDER BY name",
        )
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let sealed = STANDARD
                    .decode(text(row, "sealed")?)
                    .map_err(|error| StoreError::Corrupt(format!("a sealed secret: {error}")))?;
                Ok(SealedSecret {
                    name: text(row, "name")?,
                    sealed,
                    updated_at: int(row, "updated_at")?,
                })
            })
            .collect()
    }
}
