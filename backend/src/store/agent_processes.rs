//! Agent process groups this server started and has not seen end: what a
//! restart after a crash must find and end.

use super::{int, Store, StoreError};
use tandem_shared::SessionId;

/// One recorded agent process group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentProcess {
    pub pgid: i64,
    pub start_ticks: i64,
}

impl Store {
    pub async fn record_agent_process(
        &self,
        session_id: &SessionId,
        process: &AgentProcess,
        at: i64,
    ) -> Result<(), StoreError> {
        // A pid from an earlier life of this machine may still have a row.
        sqlx::query("DELETE FROM agent_processes WHERE pgid = $1")
            .bind(process.pgid)
            .execute(&self.writer)
            .await?;
        sqlx::query(
            "INSERT INTO agent_processes (pgid, session_id, start_ticks, started_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(process.pgid)
        .bind(session_id.as_str())
        .bind(process.start_ticks)
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn forget_agent_process(&self, pgid: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agent_processes WHERE pgid = $1")
            .bind(pgid)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn agent_processes(&self) -> Result<Vec<AgentProcess>, StoreError> {
        let rows = sqlx::query("SELECT pgid, start_ticks FROM agent_processes")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AgentProcess {
                    pgid: int(row, "pgid")?,
                    start_ticks: int(row, "start_ticks")?,
                })
            })
            .collect()
    }
}
