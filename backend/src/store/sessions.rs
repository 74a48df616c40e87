//! Sessions: status, title and where the transcript has got to.

use super::{int, opt_text, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use tandem_shared::api::SessionSummary;
use tandem_shared::{AssistantId, Seq, SessionId, SessionStatus};

pub struct NewSession {
    pub id: SessionId,
    pub assistant_id: AssistantId,
    pub title: String,
    pub created_at: i64,
}

/// A session row with what only the backend needs.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub summary: SessionSummary,
    pub agent_session_id: Option<String>,
    /// The identity fingerprint the agent session started with.
    pub agent_fingerprint: Option<String>,
    pub agent_started_at: Option<i64>,
    pub agent_turns: i64,
}

const SELECT: &str = "SELECT s.id, s.assistant_id, a.name AS assistant_name, \
    a.color AS assistant_color, s.title, s.status, s.status_reason, s.agent_session_id, \
    s.agent_fingerprint, s.agent_started_at, s.agent_turns, s.created_at, s.updated_at, s.last_seq \
    FROM sessions s JOIN assistants a ON a.id = s.assistant_id";

impl Store {
    pub async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, assistant_id, title, status, created_at, updated_at, last_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(session.id.as_str())
        .bind(session.assistant_id.as_str())
        .bind(&session.title)
        .bind(SessionStatus::Starting.as_str())
        .bind(session.created_at)
        .bind(session.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Newest first.
    pub async fn list_sessions(
        &self,
        scope: Scope<'_>,
        limit: i64,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let sql = format!(
            "{SELECT} WHERE {} ORDER BY s.created_at DESC, s.id DESC LIMIT $2",
            scope.condition("s.assistant_id", 1)
        );
        let rows = sqlx::query(&sql)
            .bind(scope.bind_value())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| session_from_row(row).map(|record| record.summary))
            .collect()
    }

    /// Sessions that were live when the server last stopped.
    pub async fn live_sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE s.status IN ('starting', 'running', 'waiting_approval', 'paused')"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Records a new agent session the moment the agent names it.
    pub async fn set_agent_session(
        &self,
        id: &SessionId,
        agent_session_id: &str,
        fingerprint: &str,
        started_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET agent_session_id = $1, agent_fingerprint = $2, \
             agent_started_at = $3, agent_turns = 0 WHERE id = $4",
        )
        .bind(agent_session_id)
        .bind(fingerprint)
        .bind(started_at)
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn count_agent_turn(&self, id: &SessionId) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET agent_turns = agent_turns + 1 WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let status_text = text(row, "status")?;
    let status = SessionStatus::parse(&status_text)
        .ok_or_else(|| StoreError::Corrupt(format!("session status `{status_text}`")))?;
    Ok(SessionRecord {
        summary: SessionSummary {
            id: SessionId(text(row, "id")?),
            assistant_id: AssistantId(text(row, "assistant_id")?),
            assistant_name: text(row, "assistant_name")?,
            assistant_color: text(row, "assistant_color")?,
            title: text(row, "title")?,
            status,
            status_reason: opt_text(row, "status_reason")?,
            created_at: int(row, "created_at")?,
            updated_at: int(row, "updated_at")?,
            last_seq: Seq(u64::try_from(int(row, "last_seq")?).unwrap_or(0)),
        },
        agent_session_id: opt_text(row, "agent_session_id")?,
        agent_fingerprint: opt_text(row, "agent_fingerprint")?,
        agent_started_at: row.try_get::<Option<i64>, _>("agent_started_at")?,
        agent_turns: int(row, "agent_turns")?,
    })
}
