//! Log-in sessions (the cookie) and API tokens, found by the SHA-256 of
//! their secret.

use super::users::user_from_row;
use super::{int, text, Store, StoreError};
use sqlx::Row;
use tandem_shared::auth::{ApiToken, User};
use tandem_shared::UserId;

impl Store {
    pub async fn create_login_session(
        &self,
        token_hash: &str,
        user_id: &UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The person a cookie belongs to, while it has not expired.
    pub async fn user_by_login_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.admin, u.created_at FROM login_sessions l \
             JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1 AND l.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn delete_login_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Logs a person out everywhere except, optionally, one session: after a
    /// password change.
    pub async fn delete_login_sessions_except(
        &self,
        user_id: &UserId,
        keep_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id.as_str())
            .bind(keep_hash.unwrap_or(""))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        token: &ApiToken,
        user_id: &UserId,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.id)
        .bind(user_id.as_str())
        .bind(&token.name)
        .bind(token_hash)
        .bind(token.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The person a bearer token belongs to, unless it was revoked. Notes
    /// when it was last used.
    pub async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.admin, u.created_at, t.id AS token_id, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        // At most once a minute, so automation does not turn every read into
        // a write.
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| now - at > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(text(&row, "token_id")?)
                .execute(&self.writer)
                .await?;
        }
        user_from_row(&row).map(Some)
    }

    pub async fn list_api_tokens(&self, user_id: &UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, last_used_at FROM api_tokens \
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiToken {
                    id: text(row, "id")?,
                    name: text(row, "name")?,
                    created_at: int(row, "created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of a person's tokens; false when they have no such token.
    pub async fn revoke_api_token(
        &self,
        user_id: &UserId,
        token_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_id)
        .bind(user_id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
