//! Routines and when they fire.

use super::{int, json, opt_text, text, to_json, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::api::Routine;
use tandem_shared::AssistantId;

const COLUMNS: &str =
    "id, assistant_id, cron, time_zone, prompt, enabled, next_run_at, last_run_at, created_at, precheck";

impl Store {
    pub async fn save_routine(&self, routine: &Routine) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO routines (id, assistant_id, cron, time_zone, prompt, enabled, next_run_at, last_run_at, created_at, precheck) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, \
             prompt = excluded.prompt, enabled = excluded.enabled, next_run_at = excluded.next_run_at, \
             last_run_at = excluded.last_run_at, precheck = excluded.precheck",
        )
        .bind(&routine.id)
        .bind(routine.assistant_id.as_str())
        .bind(&routine.cron)
        .bind(&routine.time_zone)
        .bind(&routine.prompt)
        .bind(i64::from(routine.enabled))
        .bind(routine.next_run_at)
        .bind(routine.last_run_at)
        .bind(routine.created_at)
        .bind(routine.precheck.as_ref().map(to_json).transpose()?)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_routine(&self, id: &str) -> Result<Option<Routine>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM routines WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(routine_from_row).transpose()
    }

    pub async fn delete_routine(&self, id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM routines WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn list_routines(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Vec<Routine>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM routines WHERE assistant_id = $1 ORDER BY created_at, id"
        ))
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(routine_from_row).collect()
    }

    /// Moves a routine from the run it was due at to its next, unless that
    /// already happened (another server fired it). True when this call
    /// moved it.
    pub async fn claim_routine_run(
        &self,
        id: &str,
        due_at: Option<i64>,
        next_run_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(due_at) = due_at else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE routines SET next_run_at = $1, last_run_at = $2 \
             WHERE id = $3 AND next_run_at = $4",
        )
        .bind(next_run_at)
        .bind(now)
        .bind(id)
        .bind(due_at)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Enabled routines due at `now`, soonest first.
    pub async fn due_routines(&self, now: i64) -> Result<Vec<Routine>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM routines WHERE enabled = 1 AND next_run_at IS NOT NULL \
             AND next_run_at <= $1 ORDER BY next_run_at, id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(routine_from_row).collect()
    }

    /// When the next enabled routine fires.
    pub async fn earliest_routine_run(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(next_run_at) AS next FROM routines WHERE enabled = 1 AND next_run_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("next")?)
    }
}

/// The description is filled in by the caller, which knows the schedule.
fn routine_from_row(row: &AnyRow) -> Result<Routine, StoreError> {
    Ok(Routine {
        id: text(row, "id")?,
        assistant_id: AssistantId(text(row, "assistant_id")?),
        cron: text(row, "cron")?,
        time_zone: text(row, "time_zone")?,
        prompt: text(row, "prompt")?,
        enabled: int(row, "enabled")? != 0,
        description: String::new(),
        next_run_at: row.try_get::<Option<i64>, _>("next_run_at")?,
        last_run_at: row.try_get::<Option<i64>, _>("last_run_at")?,
        created_at: int(row, "created_at")?,
        precheck: opt_text(row, "precheck")?
            .map(|raw| json(&raw, "routine pre-check"))
            .transpose()?,
    })
}

impl Store {
    /// The digest a pre-check's output had last time, and now this one:
    /// whether it changed (a first run counts as changed).
    pub async fn precheck_output_changed(
        &self,
        key: &str,
        digest: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = sqlx::query("SELECT digest FROM precheck_outputs WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| text(&row, "digest"))
            .transpose()?;
        sqlx::query("DELETE FROM precheck_outputs WHERE key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO precheck_outputs (key, digest, at) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(digest)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(before.as_deref() != Some(digest))
    }
}
