//! The record of every wake.

use super::{int, opt_text, text, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::api::{Wake, WakeState, WakeTrigger};
use tandem_shared::{AssistantId, SessionId};

const COLUMNS: &str =
    "id, assistant_id, trigger_kind, source, message, at, state, session_id, task_id, reason";

impl Store {
    pub async fn add_wake(&self, wake: &Wake) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO wakes (id, assistant_id, trigger_kind, source, message, at, state, session_id, task_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&wake.id)
        .bind(wake.assistant_id.as_str())
        .bind(wake.trigger.as_str())
        .bind(&wake.source)
        .bind(&wake.message)
        .bind(wake.at)
        .bind(wake.state.as_str())
        .bind(wake.session_id.as_ref().map(|id| id.0.clone()))
        .bind(wake.task_id.clone())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn set_wake_state(
        &self,
        id: &str,
        state: WakeState,
        session_id: &SessionId,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE wakes SET state = $1, session_id = $2 WHERE id = $3")
            .bind(state.as_str())
            .bind(session_id.as_str())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A queued wake that could not start.
    pub async fn set_wake_failed(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE wakes SET state = 'failed' WHERE id = $1 AND state = 'queued'")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A wake that started nothing (refused, skipped), and why.
    pub async fn set_wake_outcome(
        &self,
        id: &str,
        state: WakeState,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE wakes SET state = $3, reason = $2 WHERE id = $1")
            .bind(id)
            .bind(reason)
            .bind(state.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Assistants with wakes waiting, for the start-up that resumes them.
    pub async fn assistants_with_queued_wakes(&self) -> Result<Vec<AssistantId>, StoreError> {
        let rows = sqlx::query(
            "SELECT assistant_id, MIN(at) AS first_at FROM wakes WHERE state = 'queued' \
             GROUP BY assistant_id ORDER BY first_at, assistant_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(AssistantId(text(row, "assistant_id")?)))
            .collect()
    }

    /// Newest first.
    pub async fn list_wakes(
        &self,
        assistant_id: &AssistantId,
        limit: i64,
    ) -> Result<Vec<Wake>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM wakes WHERE assistant_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
        ))
        .bind(assistant_id.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(wake_from_row).collect()
    }

    /// Queued wakes of an assistant, oldest first: the order they start in.
    pub async fn queued_wakes(&self, assistant_id: &AssistantId) -> Result<Vec<Wake>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM wakes WHERE assistant_id = $1 AND state = 'queued' ORDER BY at, id"
        ))
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(wake_from_row).collect()
    }
}

fn wake_from_row(row: &AnyRow) -> Result<Wake, StoreError> {
    let trigger = text(row, "trigger_kind")?;
    let state = text(row, "state")?;
    Ok(Wake {
        id: text(row, "id")?,
        assistant_id: AssistantId(text(row, "assistant_id")?),
        trigger: WakeTrigger::parse(&trigger)
            .ok_or_else(|| StoreError::Corrupt(format!("wake trigger `{trigger}`")))?,
        source: text(row, "source")?,
        message: text(row, "message")?,
        at: int(row, "at")?,
        state: WakeState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("wake state `{state}`")))?,
        session_id: opt_text(row, "session_id")?.map(SessionId),
        task_id: opt_text(row, "task_id")?,
        reason: opt_text(row, "reason")?,
    })
}
