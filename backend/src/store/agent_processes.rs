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
        node_id: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        // A pid from an earlier life of this machine may still have a row.
        sqlx::query("DELETE FROM agent_processes WHERE pgid = $1")
            .bind(process.pgid)
            .execute(&self.writer)
            .await?;
        sqlx::query(
            "INSERT INTO agent_processes (pgid, session_id, start_ticks, started_at, node_id) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(process.pgid)
        .bind(session_id.as_str())
        .bind(process.start_ticks)
        .bind(at)
        .bind(node_id)
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

    /// Every recorded group.
    pub async fn agent_processes(&self) -> Result<Vec<AgentProcess>, StoreError> {
        let rows = sqlx::query("SELECT pgid, start_ticks FROM agent_processes")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(process_from_row).collect()
    }

    /// The groups recorded by servers on `host` that no longer run (not
    /// `me`, not a node alive at `fresh_after`), and by servers from before
    /// nodes were recorded: the ones a start on this machine must end.
    pub async fn agent_processes_left_over(
        &self,
        host: &str,
        me: &str,
        fresh_after: i64,
    ) -> Result<Vec<AgentProcess>, StoreError> {
        let rows = sqlx::query(
            "SELECT pgid, start_ticks FROM agent_processes WHERE node_id = '' OR (\
             node_id <> $1 AND node_id IN (SELECT id FROM cluster_nodes WHERE host = $2) \
             AND node_id NOT IN (SELECT id FROM cluster_nodes \
             WHERE seen_at > $3 AND stopped_at IS NULL))",
        )
        .bind(me)
        .bind(host)
        .bind(fresh_after)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(process_from_row).collect()
    }
}

fn process_from_row(row: &sqlx::any::AnyRow) -> Result<AgentProcess, StoreError> {
    Ok(AgentProcess {
        pgid: int(row, "pgid")?,
        start_ticks: int(row, "start_ticks")?,
    })
}
