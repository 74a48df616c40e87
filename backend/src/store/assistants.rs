//! Assistants: who does the work, with which agent, where.

use super::{int, json, text, to_json, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::api::{Assistant, JournalEntry};
use tandem_shared::AssistantId;

const COLUMNS: &str = "id, name, color, agent, workspace, persona, constitution, memory, \
     created_at, archived_at, worktrees, max_parallel";

impl Store {
    pub async fn create_assistant(&self, assistant: &Assistant) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assistants \
             (id, name, color, agent, workspace, persona, constitution, memory, created_at, \
              worktrees, max_parallel) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(assistant.id.as_str())
        .bind(&assistant.name)
        .bind(&assistant.color)
        .bind(to_json(&assistant.agent)?)
        .bind(&assistant.workspace)
        .bind(&assistant.persona)
        .bind(&assistant.constitution)
        .bind(&assistant.memory)
        .bind(assistant.created_at)
        .bind(i64::from(assistant.sessions.worktrees))
        .bind(i64::from(assistant.sessions.max_parallel))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn list_assistants(&self, scope: Scope<'_>) -> Result<Vec<Assistant>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM assistants WHERE {} ORDER BY created_at, id",
            scope.condition("id", 1)
        );
        let query = sqlx::query(&sql).bind(scope.bind_value());
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(assistant_from_row).collect()
    }

    pub async fn get_assistant(&self, id: &AssistantId) -> Result<Option<Assistant>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM assistants WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(assistant_from_row).transpose()
    }
}

impl Store {
    /// Writes every editable field of an assistant in one statement.
    pub async fn update_assistant(&self, assistant: &Assistant) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE assistants SET name = $1, color = $2, persona = $3, constitution = $4, \
             memory = $5, archived_at = $6, agent = $7, workspace = $8, worktrees = $9, \
             max_parallel = $10 WHERE id = $11",
        )
        .bind(&assistant.name)
        .bind(&assistant.color)
        .bind(&assistant.persona)
        .bind(&assistant.constitution)
        .bind(&assistant.memory)
        .bind(assistant.archived_at)
        .bind(to_json(&assistant.agent)?)
        .bind(&assistant.workspace)
        .bind(i64::from(assistant.sessions.worktrees))
        .bind(i64::from(assistant.sessions.max_parallel))
        .bind(assistant.id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn add_journal_entry(
        &self,
        assistant_id: &AssistantId,
        entry: &JournalEntry,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO journal (id, assistant_id, at, text) VALUES ($1, $2, $3, $4)")
            .bind(&entry.id)
            .bind(assistant_id.as_str())
            .bind(entry.at)
            .bind(&entry.text)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The newest `limit` entries, oldest first.
    pub async fn recent_journal(
        &self,
        assistant_id: &AssistantId,
        limit: i64,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, text FROM journal WHERE assistant_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(assistant_id.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = rows
            .iter()
            .map(|row| {
                Ok(JournalEntry {
                    id: text(row, "id")?,
                    at: int(row, "at")?,
                    text: text(row, "text")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        entries.reverse();
        Ok(entries)
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|row| text(row, "value")).transpose()
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

fn assistant_from_row(row: &AnyRow) -> Result<Assistant, StoreError> {
    Ok(Assistant {
        id: AssistantId(text(row, "id")?),
        name: text(row, "name")?,
        color: text(row, "color")?,
        agent: json(&text(row, "agent")?, "assistant agent")?,
        workspace: text(row, "workspace")?,
        persona: text(row, "persona")?,
        constitution: text(row, "constitution")?,
        memory: text(row, "memory")?,
        created_at: int(row, "created_at")?,
        archived_at: row.try_get::<Option<i64>, _>("archived_at")?,
        sessions: tandem_shared::api::SessionSettings {
            worktrees: int(row, "worktrees")? != 0,
            max_parallel: u32::try_from(int(row, "max_parallel")?).unwrap_or(1).max(1),
        },
    })
}
