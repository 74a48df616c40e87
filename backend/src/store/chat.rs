//! An assistant's chat.

use super::{int, opt_text, text, Store, StoreError};
use tandem_shared::api::{ChatAuthorKind, ChatMessage};
use tandem_shared::{AssistantId, SessionId};

impl Store {
    pub async fn add_chat_message(&self, message: &ChatMessage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_messages (id, assistant_id, at, author_kind, author, text, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&message.id)
        .bind(message.assistant_id.as_str())
        .bind(message.at)
        .bind(message.author_kind.as_str())
        .bind(&message.author)
        .bind(&message.text)
        .bind(message.session_id.as_ref().map(|id| id.0.clone()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The newest `limit` messages, oldest first.
    pub async fn recent_chat(
        &self,
        assistant_id: &AssistantId,
        limit: i64,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, author_kind, author, text, session_id FROM chat_messages \
             WHERE assistant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(assistant_id.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(|row| {
                let kind = text(row, "author_kind")?;
                Ok(ChatMessage {
                    id: text(row, "id")?,
                    assistant_id: assistant_id.clone(),
                    at: int(row, "at")?,
                    author_kind: ChatAuthorKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("chat author kind `{kind}`")))?,
                    author: text(row, "author")?,
                    text: text(row, "text")?,
                    session_id: opt_text(row, "session_id")?.map(SessionId),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        messages.reverse();
        Ok(messages)
    }
}
