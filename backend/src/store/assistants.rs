//! Assistants: who does the work, with which agent, where.

use super::{int, json, text, to_json, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::api::Assistant;
use tandem_shared::AssistantId;

const COLUMNS: &str = "id, name, color, agent, workspace, created_at";

impl Store {
    pub async fn create_assistant(&self, assistant: &Assistant) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assistants (id, name, color, agent, workspace, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(assistant.id.as_str())
        .bind(&assistant.name)
        .bind(&assistant.color)
        .bind(to_json(&assistant.agent)?)
        .bind(&assistant.workspace)
        .bind(assistant.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_assistants(&self) -> Result<Vec<Assistant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM assistants ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
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

fn assistant_from_row(row: &AnyRow) -> Result<Assistant, StoreError> {
    Ok(Assistant {
        id: AssistantId(text(row, "id")?),
        name: text(row, "name")?,
        color: text(row, "color")?,
        agent: json(&text(row, "agent")?, "assistant agent")?,
        workspace: text(row, "workspace")?,
        created_at: int(row, "created_at")?,
    })
}
