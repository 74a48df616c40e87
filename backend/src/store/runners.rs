//! Runners and their tokens, and which runner an assistant's sessions run
//! on.

use super::{int, json, opt_text, text, to_json, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::runner::Runner;
use tandem_shared::AssistantId;

const COLUMNS: &str = "r.id, r.name, r.created_at, u.name AS created_by, r.revoked_at, \
    r.last_seen_at, r.version, r.agent_kinds, r.workspace_roots, r.node_id";

/// A runner row with what only the server needs.
#[derive(Debug, Clone)]
pub struct RunnerRecord {
    pub runner: Runner,
    /// The server its link is open to, if any.
    pub node_id: Option<String>,
}

impl Store {
    pub async fn create_runner(
        &self,
        id: &str,
        name: &str,
        token_hash: &str,
        created_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO runners (id, name, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(token_hash)
        .bind(created_by)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn runner_name_taken(&self, name: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM runners WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&row, "n")? > 0)
    }

    pub async fn list_runners(&self) -> Result<Vec<RunnerRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM runners r LEFT JOIN users u ON u.id = r.created_by \
             ORDER BY r.created_at, r.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(runner_from_row).collect()
    }

    pub async fn get_runner(&self, id: &str) -> Result<Option<RunnerRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM runners r LEFT JOIN users u ON u.id = r.created_by \
             WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(runner_from_row).transpose()
    }

    /// The runner a token opens, unless it was revoked.
    pub async fn runner_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RunnerRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM runners r LEFT JOIN users u ON u.id = r.created_by \
             WHERE r.token_hash = $1 AND r.revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(runner_from_row).transpose()
    }

    /// True when it was live and is revoked now.
    pub async fn revoke_runner(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runners SET revoked_at = $1, node_id = NULL WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The runner said hello to `node`.
    pub async fn runner_linked(
        &self,
        id: &str,
        node: &str,
        version: &str,
        agent_kinds: &[String],
        workspace_roots: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE runners SET node_id = $1, version = $2, agent_kinds = $3, \
             workspace_roots = $4, last_seen_at = $5 WHERE id = $6",
        )
        .bind(node)
        .bind(version)
        .bind(to_json(&agent_kinds)?)
        .bind(to_json(&workspace_roots)?)
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Its link to `node` closed (a newer link elsewhere is left alone).
    pub async fn runner_unlinked(&self, id: &str, node: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE runners SET node_id = NULL, last_seen_at = $1 WHERE id = $2 AND node_id = $3",
        )
        .bind(now)
        .bind(id)
        .bind(node)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn assistant_runner(&self, id: &AssistantId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT runner_id FROM assistants WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => opt_text(&row, "runner_id")?,
            None => None,
        })
    }

    pub async fn set_assistant_runner(
        &self,
        id: &AssistantId,
        runner_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE assistants SET runner_id = $1 WHERE id = $2")
            .bind(runner_id)
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

fn runner_from_row(row: &AnyRow) -> Result<RunnerRecord, StoreError> {
    let node_id = opt_text(row, "node_id")?;
    Ok(RunnerRecord {
        runner: Runner {
            id: text(row, "id")?,
            name: text(row, "name")?,
            created_at: int(row, "created_at")?,
            created_by: opt_text(row, "created_by")?.unwrap_or_default(),
            connected: node_id.is_some(),
            last_seen_at: row.try_get::<Option<i64>, _>("last_seen_at")?,
            version: opt_text(row, "version")?,
            agent_kinds: json(&text(row, "agent_kinds")?, "runner agent kinds")?,
            workspace_roots: json(&text(row, "workspace_roots")?, "runner workspace roots")?,
            live_sessions: 0,
            revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?,
        },
        node_id,
    })
}
