//! Members' choices for an agent (mode, option values): a session's, kept
//! so every later run of it starts with them, and an assistant's defaults,
//! beneath every session's own.

use super::{int, json, text, to_json, Store, StoreError};
use tandem_shared::agent_state::{Choice, Setting};
use tandem_shared::{AssistantId, SessionId};

/// Where choices are kept: a session's own, or an assistant's defaults.
/// Both tables have the same shape; only the owner's column differs.
#[derive(Clone, Copy)]
enum Owner {
    Session,
    Assistant,
}

impl Owner {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Owner::Session => ("session_choices", "session_id"),
            Owner::Assistant => ("assistant_choices", "assistant_id"),
        }
    }
}

impl Store {
    /// Keeps a session's choice; a later choice of the same setting wins.
    pub async fn set_choice(
        &self,
        session_id: &SessionId,
        choice: &Choice,
    ) -> Result<(), StoreError> {
        self.put_choice(Owner::Session, session_id.as_str(), choice)
            .await
    }

    /// A session's choices, oldest first.
    pub async fn choices(&self, session_id: &SessionId) -> Result<Vec<Choice>, StoreError> {
        self.owned_choices(Owner::Session, session_id.as_str())
            .await
    }

    /// Keeps an assistant's default; a later one of the same setting wins.
    pub async fn set_assistant_choice(
        &self,
        assistant_id: &AssistantId,
        choice: &Choice,
    ) -> Result<(), StoreError> {
        self.put_choice(Owner::Assistant, assistant_id.as_str(), choice)
            .await
    }

    /// An assistant's defaults, oldest first.
    pub async fn assistant_choices(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Vec<Choice>, StoreError> {
        self.owned_choices(Owner::Assistant, assistant_id.as_str())
            .await
    }

    async fn put_choice(&self, owner: Owner, id: &str, choice: &Choice) -> Result<(), StoreError> {
        let (table, column) = owner.table();
        sqlx::query(&format!(
            "INSERT INTO {table} ({column}, setting, value, chosen_by, chosen_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT ({column}, setting) DO UPDATE SET value = excluded.value, \
             chosen_by = excluded.chosen_by, chosen_at = excluded.chosen_at"
        ))
        .bind(id)
        .bind(choice.setting.key())
        .bind(to_json(&choice.setting)?)
        .bind(&choice.chosen_by)
        .bind(choice.chosen_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn owned_choices(&self, owner: Owner, id: &str) -> Result<Vec<Choice>, StoreError> {
        let (table, column) = owner.table();
        let rows = sqlx::query(&format!(
            "SELECT value, chosen_by, chosen_at FROM {table} \
             WHERE {column} = $1 ORDER BY chosen_at, setting"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Choice {
                    setting: json::<Setting>(&text(row, "value")?, "a kept choice")?,
                    chosen_by: text(row, "chosen_by")?,
                    chosen_at: int(row, "chosen_at")?,
                })
            })
            .collect()
    }
}
