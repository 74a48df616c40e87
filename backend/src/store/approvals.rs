//! Approvals: the database row decides who answered first.

use super::{json, opt_text, text, to_json, Scope, Store, StoreError};
use serde::{Deserialize, Serialize};
use tandem_shared::api::PendingApproval;
use tandem_shared::{
    ApprovalId, ApprovalState, AssistantId, PermissionOption, SessionId, ToolCallPatch,
};

/// What was asked, kept with the row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub tool_call: ToolCallPatch,
    pub options: Vec<PermissionOption>,
    /// The agent's JSON-RPC id for the request: a server taking the run
    /// over answers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_id: Option<serde_json::Value>,
}

/// A pending approval as a run taking over its session needs it.
#[derive(Debug, Clone)]
pub struct AskedApproval {
    pub id: ApprovalId,
    pub request: ApprovalRequest,
}

#[derive(Debug, Clone)]
pub struct ApprovalRecord {
    pub id: ApprovalId,
    pub session_id: SessionId,
    pub state: ApprovalState,
    pub options: Vec<PermissionOption>,
    pub decided_option: Option<String>,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    /// This answer won.
    Decided,
    /// Somebody else answered first, or the request is gone.
    AlreadySettled {
        state: ApprovalState,
        by: Option<String>,
    },
    NotFound,
}

impl Store {
    pub async fn create_approval(
        &self,
        id: &ApprovalId,
        session_id: &SessionId,
        tool_call: &ToolCallPatch,
        options: &[PermissionOption],
        at: i64,
    ) -> Result<(), StoreError> {
        let request = ApprovalRequest {
            tool_call: tool_call.clone(),
            options: options.to_vec(),
            rpc_id: None,
        };
        self.create_asked_approval(id, session_id, &request, at)
            .await
    }

    /// An approval with the agent's request as asked (its id included).
    pub async fn create_asked_approval(
        &self,
        id: &ApprovalId,
        session_id: &SessionId,
        request: &ApprovalRequest,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO approvals (id, session_id, state, request, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(session_id.as_str())
        .bind(ApprovalState::Pending.as_str())
        .bind(to_json(request)?)
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_approval(
        &self,
        id: &ApprovalId,
    ) -> Result<Option<ApprovalRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, session_id, state, request, decided_option, decided_by \
             FROM approvals WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let state_text = text(&row, "state")?;
        let request: ApprovalRequest = json(&text(&row, "request")?, "approval request")?;
        Ok(Some(ApprovalRecord {
            id: ApprovalId(text(&row, "id")?),
            session_id: SessionId(text(&row, "session_id")?),
            state: ApprovalState::parse(&state_text)
                .ok_or_else(|| StoreError::Corrupt(format!("approval state `{state_text}`")))?,
            options: request.options,
            decided_option: opt_text(&row, "decided_option")?,
            decided_by: opt_text(&row, "decided_by")?,
        }))
    }

    /// The first answer wins, atomically, even across a restart.
    pub async fn decide_approval(
        &self,
        id: &ApprovalId,
        option_id: &str,
        by: Option<&str>,
        at: i64,
    ) -> Result<DecideOutcome, StoreError> {
        let result = sqlx::query(
            "UPDATE approvals SET state = $1, decided_option = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND state = $6",
        )
        .bind(ApprovalState::Decided.as_str())
        .bind(option_id)
        .bind(by.map(str::to_owned))
        .bind(at)
        .bind(id.as_str())
        .bind(ApprovalState::Pending.as_str())
        .execute(&self.writer)
        .await?;
        if result.rows_affected() == 1 {
            return Ok(DecideOutcome::Decided);
        }
        Ok(match self.get_approval(id).await? {
            None => DecideOutcome::NotFound,
            Some(record) => DecideOutcome::AlreadySettled {
                state: record.state,
                by: record.decided_by,
            },
        })
    }

    /// Marks one pending approval `state` (cancelled or expired); false when
    /// it was no longer pending.
    pub async fn settle_approval(
        &self,
        id: &ApprovalId,
        state: ApprovalState,
        at: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE approvals SET state = $1, decided_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(state.as_str())
        .bind(at)
        .bind(id.as_str())
        .bind(ApprovalState::Pending.as_str())
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks every pending approval of a session as `state` (cancelled or
    /// expired) and returns their ids.
    pub async fn settle_pending_approvals(
        &self,
        session_id: &SessionId,
        state: ApprovalState,
        at: i64,
    ) -> Result<Vec<ApprovalId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM approvals WHERE session_id = $1 AND state = $2")
            .bind(session_id.as_str())
            .bind(ApprovalState::Pending.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut settled = Vec::new();
        for row in rows {
            let id = ApprovalId(text(&row, "id")?);
            if self.settle_approval(&id, state, at).await? {
                settled.push(id);
            }
        }
        Ok(settled)
    }
}

impl Store {
    /// A session's pending approvals with the agent's requests, oldest
    /// first.
    pub async fn asked_approvals(
        &self,
        session_id: &SessionId,
    ) -> Result<Vec<AskedApproval>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, request FROM approvals WHERE session_id = $1 AND state = $2 \
             ORDER BY created_at, id",
        )
        .bind(session_id.as_str())
        .bind(ApprovalState::Pending.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AskedApproval {
                    id: ApprovalId(text(row, "id")?),
                    request: json(&text(row, "request")?, "approval request")?,
                })
            })
            .collect()
    }

    /// Every pending approval, oldest first: the approvals inbox.
    pub async fn pending_approvals(
        &self,
        scope: Scope<'_>,
    ) -> Result<Vec<PendingApproval>, StoreError> {
        let sql = format!(
            "SELECT a.id, a.session_id, a.request, a.created_at, s.title, s.assistant_id \
             FROM approvals a JOIN sessions s ON s.id = a.session_id \
             WHERE a.state = $1 AND {} ORDER BY a.created_at, a.id",
            scope.condition("s.assistant_id", 2)
        );
        let query = sqlx::query(&sql)
            .bind(ApprovalState::Pending.as_str())
            .bind(scope.bind_value());
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let request: ApprovalRequest = json(&text(row, "request")?, "approval request")?;
                Ok(PendingApproval {
                    approval_id: ApprovalId(text(row, "id")?),
                    session_id: SessionId(text(row, "session_id")?),
                    session_title: text(row, "title")?,
                    assistant_id: AssistantId(text(row, "assistant_id")?),
                    tool_call: request.tool_call,
                    options: request.options,
                    created_at: super::int(row, "created_at")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// How many approvals wait in `scope`: the badge.
    pub async fn pending_approval_count(&self, scope: Scope<'_>) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM approvals a JOIN sessions s ON s.id = a.session_id \
             WHERE a.state = $1 AND {}",
            scope.condition("s.assistant_id", 2)
        );
        let query = sqlx::query(&sql)
            .bind(ApprovalState::Pending.as_str())
            .bind(scope.bind_value());
        let row = query.fetch_one(&self.pool).await?;
        super::int(&row, "n")
    }
}
