//! Members' choices for an agent (mode, option values): a session's, kept
//! so every later run of it starts with them, and an assistant's defaults,
//! beneath every session's own.

use super::{int, json, text, to_json, Store, StoreError};
use tandem_shared::agent_state::{Choice, Setting};
use tandem_shared::{AssistantId, SessionId};

impl Store {
    /// Keeps a choice; a later choice of the same setting replaces it.
    pub async fn set_choice(
        &self,
        session_id: &SessionId,
        choice: &Choice,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session_choices (session_id, setting, value, chosen_by, chosen_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (session_id, setting) DO UPDATE SET value = excluded.value, \
             chosen_by = excluded.chosen_by, chosen_at = excluded.chosen_at",
        )
        .bind(session_id.as_str())
        .bind(choice.setting.key())
        .bind(to_json(&choice.setting)?)
        .bind(&choice.chosen_by)
        .bind(choice.chosen_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// A session's choices, oldest first.
    pub async fn choices(&self, session_id: &SessionId) -> Result<Vec<Choice>, StoreError> {
        let rows = sqlx::query(
            "SELECT value, chosen_by, chosen_at FROM session_choices \
             WHERE session_id = $1 ORDER BY chosen_at, setting",
        )
        .bind(session_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Choice {
                    setting: json::<Setting>(&text(row, "value")?, "a session choice")?,
                    chosen_by: text(row, "chosen_by")?,
                    chosen_at: int(row, "chosen_at")?,
                })
            })
            .collect()
    }

    /// Keeps an assistant's default; a later one of the same setting wins.
    pub async fn set_assistant_choice(
        &self,
        assistant_id: &AssistantId,
        choice: &Choice,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assistant_choices (assistant_id, setting, value, chosen_by, chosen_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (assistant_id, setting) DO UPDATE SET value = excluded.value, \
             chosen_by = excluded.chosen_by, chosen_at = excluded.chosen_at",
        )
        .bind(assistant_id.as_str())
        .bind(choice.setting.key())
        .bind(to_json(&choice.setting)?)
        .bind(&choice.chosen_by)
        .bind(choice.chosen_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// An assistant's defaults, oldest first.
    pub async fn assistant_choices(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Vec<Choice>, StoreError> {
        let rows = sqlx::query(
            "SELECT value, chosen_by, chosen_at FROM assistant_choices \
             WHERE assistant_id = $1 ORDER BY chosen_at, setting",
        )
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Choice {
                    setting: json::<Setting>(&text(row, "value")?, "an assistant default")?,
                    chosen_by: text(row, "chosen_by")?,
                    chosen_at: int(row, "chosen_at")?,
                })
            })
            .collect()
    }
}
