//! Follow-ups queued behind a running turn, kept until delivered.

use super::{int, opt_text, text, Store, StoreError};

/// One queued follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: String,
    pub text: String,
    pub author: Option<String>,
}

impl Store {
    /// Queues at the back, or at the front (`front`: interrupt and send).
    pub async fn queue_message(
        &self,
        session_id: &tandem_shared::SessionId,
        message: &QueuedMessage,
        front: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        let position = if front {
            "(SELECT COALESCE(MIN(position), 0) - 1 FROM queued_messages WHERE session_id = $2)"
        } else {
            "(SELECT COALESCE(MAX(position), 0) + 1 FROM queued_messages WHERE session_id = $2)"
        };
        sqlx::query(&format!(
            "INSERT INTO queued_messages (id, session_id, position, text, author, at) \
             VALUES ($1, $2, {position}, $3, $4, $5)"
        ))
        .bind(&message.id)
        .bind(session_id.as_str())
        .bind(&message.text)
        .bind(message.author.clone())
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// A session's queue, in delivery order.
    pub async fn queued_messages(
        &self,
        session_id: &tandem_shared::SessionId,
    ) -> Result<Vec<QueuedMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, text, author FROM queued_messages WHERE session_id = $1 \
             ORDER BY position, at",
        )
        .bind(session_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(QueuedMessage {
                    id: text(row, "id")?,
                    text: text(row, "text")?,
                    author: opt_text(row, "author")?,
                })
            })
            .collect()
    }

    pub async fn queued_count(
        &self,
        session_id: &tandem_shared::SessionId,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM queued_messages WHERE session_id = $1")
            .bind(session_id.as_str())
            .fetch_one(&self.pool)
            .await?;
        int(&row, "n")
    }

    /// Delivered (or recorded as undelivered): no longer queued.
    pub async fn unqueue_message(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM queued_messages WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
