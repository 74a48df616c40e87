//! Who belongs to which assistant.

use super::{Store, StoreError};
use tandem_shared::auth::User;
use tandem_shared::{AssistantId, UserId};

impl Store {
    pub async fn add_member(
        &self,
        assistant_id: &AssistantId,
        user_id: &UserId,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assistant_members (assistant_id, user_id, added_at) \
             SELECT $1, $2, $3 WHERE NOT EXISTS \
             (SELECT 1 FROM assistant_members WHERE assistant_id = $4 AND user_id = $5)",
        )
        .bind(assistant_id.as_str())
        .bind(user_id.as_str())
        .bind(now)
        .bind(assistant_id.as_str())
        .bind(user_id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn remove_member(
        &self,
        assistant_id: &AssistantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM assistant_members WHERE assistant_id = $1 AND user_id = $2")
                .bind(assistant_id.as_str())
                .bind(user_id.as_str())
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn is_member(
        &self,
        assistant_id: &AssistantId,
        user_id: &UserId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM assistant_members WHERE assistant_id = $1 AND user_id = $2",
        )
        .bind(assistant_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    pub async fn members(&self, assistant_id: &AssistantId) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.admin, u.created_at FROM assistant_members m \
             JOIN users u ON u.id = m.user_id WHERE m.assistant_id = $1 ORDER BY u.name",
        )
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(super::users::user_from_row).collect()
    }

    /// The assistants a person belongs to.
    pub async fn member_of(&self, user_id: &UserId) -> Result<Vec<AssistantId>, StoreError> {
        let rows = sqlx::query("SELECT assistant_id FROM assistant_members WHERE user_id = $1")
            .bind(user_id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(AssistantId(super::text(row, "assistant_id")?)))
            .collect()
    }
}
