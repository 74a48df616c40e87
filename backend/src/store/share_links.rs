//! Read-only share links, found by the digest of their token.

use super::{int, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::auth::ShareLink;
use tandem_shared::{SessionId, UserId};

const SELECT: &str = "SELECT l.id, l.session_id, u.name AS created_by, l.created_at, l.expires_at \
    FROM share_links l JOIN users u ON u.id = l.created_by";

/// A link lives only while its maker may still see the session: an admin,
/// or a member of the session's assistant. Removing the maker from the
/// assistant (or the account) ends every link they made of it. On `l` and
/// `u` as `SELECT` joins them.
const MAKER_MAY_SEE: &str = "(u.admin <> 0 OR EXISTS (SELECT 1 FROM sessions ms \
    JOIN assistant_members mm ON mm.assistant_id = ms.assistant_id \
    WHERE ms.id = l.session_id AND mm.user_id = u.id))";

impl Store {
    pub async fn create_share_link(
        &self,
        link: &ShareLink,
        token_hash: &str,
        created_by: &UserId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO share_links (id, session_id, token_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&link.id)
        .bind(link.session_id.as_str())
        .bind(token_hash)
        .bind(created_by.as_str())
        .bind(link.created_at)
        .bind(link.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The live (not revoked, not expired) links of a session.
    pub async fn share_links(
        &self,
        session_id: &SessionId,
        now: i64,
    ) -> Result<Vec<ShareLink>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE l.session_id = $1 AND l.revoked_at IS NULL \
             AND (l.expires_at IS NULL OR l.expires_at > $2) AND {MAKER_MAY_SEE} \
             ORDER BY l.created_at, l.id"
        ))
        .bind(session_id.as_str())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_from_row).collect()
    }

    /// Every live link of the sessions `scope` covers, newest first.
    pub async fn all_share_links(
        &self,
        scope: Scope<'_>,
        now: i64,
    ) -> Result<Vec<ShareLink>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} JOIN sessions s ON s.id = l.session_id WHERE {} \
             AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $2) \
             AND {MAKER_MAY_SEE} ORDER BY l.created_at DESC, l.id LIMIT 500",
            scope.condition("s.assistant_id", 1)
        ))
        .bind(scope.bind_value())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(link_from_row).collect()
    }

    /// The link a token opens, while it is live.
    pub async fn share_link_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<ShareLink>, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE l.token_hash = $1 AND l.revoked_at IS NULL \
             AND (l.expires_at IS NULL OR l.expires_at > $2) AND {MAKER_MAY_SEE}"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    pub async fn share_link_live(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT 1 AS one FROM share_links l JOIN users u ON u.id = l.created_by \
             WHERE l.id = $1 AND l.revoked_at IS NULL \
             AND (l.expires_at IS NULL OR l.expires_at > $2) AND {MAKER_MAY_SEE}"
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Revokes a link of `session_id`; false when there is no such live link.
    pub async fn revoke_share_link(
        &self,
        session_id: &SessionId,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = $1 \
             WHERE id = $2 AND session_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(session_id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn link_from_row(row: &AnyRow) -> Result<ShareLink, StoreError> {
    Ok(ShareLink {
        id: text(row, "id")?,
        session_id: SessionId(text(row, "session_id")?),
        created_by: text(row, "created_by")?,
        created_at: int(row, "created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
