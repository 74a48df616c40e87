//! Sessions' worktrees: where each works, on which branch, and how its
//! change landed.

use super::{int, opt_text, text, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::changes::{Worktree, WorktreeState};
use tandem_shared::{AssistantId, SessionId};

const COLUMNS: &str = "session_id, assistant_id, repo, path, branch, base_branch, base_commit, \
     state, head_commit, outcome, proposed_at, created_at";

impl Store {
    pub async fn add_worktree(&self, worktree: &Worktree) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO worktrees ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(worktree.session_id.as_str())
        .bind(worktree.assistant_id.as_str())
        .bind(&worktree.repo)
        .bind(&worktree.path)
        .bind(&worktree.branch)
        .bind(&worktree.base_branch)
        .bind(&worktree.base_commit)
        .bind(worktree.state.as_str())
        .bind(worktree.head_commit.as_deref())
        .bind(worktree.outcome.as_deref())
        .bind(worktree.proposed_at)
        .bind(worktree.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn worktree_of(
        &self,
        session_id: &SessionId,
    ) -> Result<Option<Worktree>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM worktrees WHERE session_id = $1"
        ))
        .bind(session_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(worktree_from_row).transpose()
    }

    /// An assistant's worktrees, newest first: those still on disk (active)
    /// and kept branches first.
    pub async fn worktrees_of(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Vec<Worktree>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM worktrees WHERE assistant_id = $1 \
             ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'kept' THEN 1 ELSE 2 END, \
             created_at DESC LIMIT 200"
        ))
        .bind(assistant_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(worktree_from_row).collect()
    }

    /// Records how the change landed; only a worktree not landed yet moves
    /// (two people landing at once: the second finds it landed).
    pub async fn set_worktree_landed(
        &self,
        session_id: &SessionId,
        state: WorktreeState,
        head_commit: Option<&str>,
        outcome: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE worktrees SET state = $1, head_commit = COALESCE($2, head_commit), \
             outcome = $3, ended_at = $4 WHERE session_id = $5 AND state IN ('active', 'kept')",
        )
        .bind(state.as_str())
        .bind(head_commit)
        .bind(outcome)
        .bind(at)
        .bind(session_id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_worktree_proposed(
        &self,
        session_id: &SessionId,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE worktrees SET proposed_at = $1 WHERE session_id = $2")
            .bind(at)
            .bind(session_id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

fn worktree_from_row(row: &AnyRow) -> Result<Worktree, StoreError> {
    let state = text(row, "state")?;
    Ok(Worktree {
        session_id: SessionId(text(row, "session_id")?),
        assistant_id: AssistantId(text(row, "assistant_id")?),
        repo: text(row, "repo")?,
        path: text(row, "path")?,
        branch: text(row, "branch")?,
        base_branch: text(row, "base_branch")?,
        base_commit: text(row, "base_commit")?,
        state: WorktreeState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("worktree state {state}")))?,
        head_commit: opt_text(row, "head_commit")?,
        outcome: opt_text(row, "outcome")?,
        proposed_at: row.try_get::<Option<i64>, _>("proposed_at")?,
        created_at: int(row, "created_at")?,
    })
}
