//! Agent processes runners run for sessions, as their server left them
//! (what a server taking a session over reattaches to), and the tool tokens
//! of runs, which every server on the database accepts.

use super::{int, opt_text, text, Store, StoreError};
use crate::agent_tools::Grant;
use tandem_shared::{AssistantId, SessionId};

/// One agent process on a runner and where its session's run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRun {
    pub process: String,
    pub session_id: SessionId,
    pub runner_id: String,
    pub node_id: String,
    pub agent_session: Option<String>,
    /// The open prompt's request id, as JSON.
    pub prompt_id: Option<String>,
    pub stored_lines: u64,
    pub token_hash: Option<String>,
}

impl Store {
    pub async fn record_remote_run(&self, run: &RemoteRun, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO remote_runs (process, session_id, runner_id, node_id, agent_session, \
             prompt_id, stored_lines, token_hash, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (process) DO UPDATE SET node_id = excluded.node_id",
        )
        .bind(&run.process)
        .bind(run.session_id.as_str())
        .bind(&run.runner_id)
        .bind(&run.node_id)
        .bind(run.agent_session.as_deref())
        .bind(run.prompt_id.as_deref())
        .bind(i64::try_from(run.stored_lines).unwrap_or(i64::MAX))
        .bind(run.token_hash.as_deref())
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn remote_run(&self, process: &str) -> Result<Option<RemoteRun>, StoreError> {
        let row = sqlx::query(
            "SELECT process, session_id, runner_id, node_id, agent_session, prompt_id, \
             stored_lines, token_hash FROM remote_runs WHERE process = $1",
        )
        .bind(process)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(RemoteRun {
                process: text(&row, "process")?,
                session_id: SessionId(text(&row, "session_id")?),
                runner_id: text(&row, "runner_id")?,
                node_id: text(&row, "node_id")?,
                agent_session: opt_text(&row, "agent_session")?,
                prompt_id: opt_text(&row, "prompt_id")?,
                stored_lines: u64::try_from(int(&row, "stored_lines")?).unwrap_or(0),
                token_hash: opt_text(&row, "token_hash")?,
            })
        })
        .transpose()
    }

    /// The agent's session opened.
    pub async fn remote_run_agent_session(
        &self,
        process: &str,
        agent_session: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE remote_runs SET agent_session = $1 WHERE process = $2")
            .bind(agent_session)
            .bind(process)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A prompt went out (its id), or its answer was stored (none).
    pub async fn remote_run_prompt(
        &self,
        process: &str,
        prompt_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE remote_runs SET prompt_id = $1 WHERE process = $2")
            .bind(prompt_id)
            .bind(process)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The agent's lines through `lines` are stored in the transcript.
    pub async fn remote_run_stored(&self, process: &str, lines: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE remote_runs SET stored_lines = $1 WHERE process = $2")
            .bind(i64::try_from(lines).unwrap_or(i64::MAX))
            .bind(process)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A server took the run over.
    pub async fn remote_run_moved(&self, process: &str, node_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE remote_runs SET node_id = $1 WHERE process = $2")
            .bind(node_id)
            .bind(process)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The run ended: nothing is left to reattach to, and its token opens
    /// nothing any more.
    pub async fn forget_remote_run(&self, process: &str) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM tool_grants WHERE token_hash IN \
             (SELECT token_hash FROM remote_runs WHERE process = $1)",
        )
        .bind(process)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM remote_stdin WHERE process = $1")
            .bind(process)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM remote_runs WHERE process = $1")
            .bind(process)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session was recorded interrupted: its runs and tokens go.
    pub async fn forget_runs_of(&self, session_id: &SessionId) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM tool_grants WHERE session_id = $1")
            .bind(session_id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM remote_stdin WHERE process IN \
             (SELECT process FROM remote_runs WHERE session_id = $1)",
        )
        .bind(session_id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM remote_runs WHERE session_id = $1")
            .bind(session_id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A stdin line sent to a runner's agent, kept until the runner wrote it.
    pub async fn add_remote_stdin(
        &self,
        process: &str,
        seq: u64,
        text: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO remote_stdin (process, seq, text) VALUES ($1, $2, $3) \
             ON CONFLICT (process, seq) DO NOTHING",
        )
        .bind(process)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .bind(text)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The runner wrote the agent's stdin lines through `seq`.
    pub async fn remote_stdin_written(&self, process: &str, seq: u64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM remote_stdin WHERE process = $1 AND seq <= $2")
            .bind(process)
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Stdin lines after `seq` the runner has not said it wrote, in order.
    pub async fn remote_stdin_after(
        &self,
        process: &str,
        seq: u64,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, text FROM remote_stdin WHERE process = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(process)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    u64::try_from(int(row, "seq")?).unwrap_or(0),
                    text(row, "text")?,
                ))
            })
            .collect()
    }

    /// How many sessions each runner runs now, for every server.
    pub async fn runner_live_sessions(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        let rows = sqlx::query(
            "SELECT runner_id, COUNT(DISTINCT session_id) AS n FROM remote_runs GROUP BY runner_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    text(row, "runner_id")?,
                    u32::try_from(int(row, "n")?).unwrap_or(0),
                ))
            })
            .collect()
    }

    pub async fn add_tool_grant(
        &self,
        token_hash: &str,
        grant: &Grant,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tool_grants (token_hash, session_id, assistant_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(grant.session_id.as_str())
        .bind(grant.assistant_id.as_str())
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn tool_grant(&self, token_hash: &str) -> Result<Option<Grant>, StoreError> {
        let row =
            sqlx::query("SELECT session_id, assistant_id FROM tool_grants WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(Grant {
                session_id: SessionId(text(&row, "session_id")?),
                assistant_id: AssistantId(text(&row, "assistant_id")?),
            })
        })
        .transpose()
    }

    pub async fn forget_tool_grant(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM tool_grants WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
