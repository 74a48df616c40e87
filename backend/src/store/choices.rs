//! Members' choices for a session's agent (mode, option values): kept so
//! every later run of the session starts with them.

use super::{int, json, text, to_json, Store, StoreError};
use tandem_shared::agent_state::{Choice, Setting};
use tandem_shared::SessionId;

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
}
