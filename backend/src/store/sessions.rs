//! Sessions: status, title and where the transcript has got to.

use super::{int, opt_text, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::fmt::Write as _;
use tandem_shared::api::{SessionQuery, SessionSummary};
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

/// Where the transcript has got to (its last `seq`, and when) is read off
/// the log's tail by its key, not kept on the row: an append then writes
/// the events alone unless the status or title changes.
const SELECT: &str = "SELECT s.id, s.assistant_id, a.name AS assistant_name, \
    a.color AS assistant_color, s.title, s.status, s.status_reason, s.agent_session_id, \
    s.agent_fingerprint, s.agent_started_at, s.agent_turns, s.created_at, \
    COALESCE((SELECT e.at FROM events e WHERE e.session_id = s.id ORDER BY e.seq DESC LIMIT 1), \
    s.updated_at) AS updated_at, \
    COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.session_id = s.id), 0) AS last_seq, \
    s.archived_at FROM sessions s JOIN assistants a ON a.id = s.assistant_id";

impl Store {
    pub async fn create_session(&self, session: &NewSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, assistant_id, title, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
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

    /// Newest first: those not archived, or only archived ones, or (with
    /// words to find) both, matching titles and the person's and agent's
    /// messages, case-insensitively.
    pub async fn list_sessions(
        &self,
        scope: Scope<'_>,
        query: &SessionQuery,
        limit: i64,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let words = query.q.as_deref().map(str::trim).unwrap_or_default();
        let mut sql = format!("{SELECT} WHERE {}", scope.condition("s.assistant_id", 1));
        let mut binds: Vec<String> = vec![scope.bind_value().to_owned()];
        let next = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if !words.is_empty() {
            let lower = words.to_lowercase();
            let like = next(format!("%{}%", escape_like(&lower)), &mut binds);
            // In the stored JSON, only what follows `"text":"` (the last
            // field of both kinds), spelled as JSON spells it: the words are
            // looked for in the messages, never in the keys around them.
            let in_text = next(
                format!("%\"text\":\"%{}%", escape_like(&json_spelling(&lower))),
                &mut binds,
            );
            let _ = write!(
                sql,
                " AND (LOWER(s.title) LIKE {like} ESCAPE '\\' OR EXISTS (SELECT 1 FROM events e \
                 WHERE e.session_id = s.id AND e.kind IN ('user_message', 'agent_message_chunk') \
                 AND LOWER(e.payload) LIKE {in_text} ESCAPE '\\'))"
            );
        }
        match (query.archived, words.is_empty()) {
            (Some(true), _) => sql.push_str(" AND s.archived_at IS NOT NULL"),
            (Some(false), _) | (None, true) => sql.push_str(" AND s.archived_at IS NULL"),
            (None, false) => {}
        }
        if let Some(assistant) = &query.assistant_id {
            let n = next(assistant.as_str().to_owned(), &mut binds);
            let _ = write!(sql, " AND s.assistant_id = {n}");
        }
        if let Some(status) = query.status {
            let n = next(status.as_str().to_owned(), &mut binds);
            let _ = write!(sql, " AND s.status = {n}");
        }
        let _ = write!(
            sql,
            " ORDER BY s.created_at DESC, s.id DESC LIMIT ${}",
            binds.len() + 1
        );
        let mut statement = sqlx::query(&sql);
        for value in &binds {
            statement = statement.bind(value.as_str());
        }
        let rows = statement.bind(limit).fetch_all(&self.pool).await?;
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

    /// The agent session the assistant used last: that of its most
    /// recently updated session that has one, with that session's title.
    pub async fn latest_agent_session(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<Option<(String, SessionRecord)>, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE s.assistant_id = $1 AND s.agent_session_id IS NOT NULL \
             ORDER BY s.updated_at DESC, s.id DESC LIMIT 1"
        ))
        .bind(assistant_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let record = session_from_row(&row)?;
        Ok(Some((record.summary.title.clone(), record)))
    }

    /// A new session takes over an earlier one's agent session (the one the
    /// assistant used last): a wake continues the agent's conversation.
    pub async fn inherit_agent_session(
        &self,
        id: &SessionId,
        from: &SessionRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET agent_session_id = $1, agent_fingerprint = $2, \
             agent_started_at = $3, agent_turns = $4 WHERE id = $5",
        )
        .bind(from.agent_session_id.clone())
        .bind(from.agent_fingerprint.clone())
        .bind(from.agent_started_at)
        .bind(from.agent_turns)
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Archives (or brings back) one session; false when there is none.
    pub async fn set_session_archived(
        &self,
        id: &SessionId,
        archived_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE sessions SET archived_at = $1 WHERE id = $2")
            .bind(archived_at)
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
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
            archived: row.try_get::<Option<i64>, _>("archived_at")?.is_some(),
        },
        agent_session_id: opt_text(row, "agent_session_id")?,
        agent_fingerprint: opt_text(row, "agent_fingerprint")?,
        agent_started_at: row.try_get::<Option<i64>, _>("agent_started_at")?,
        agent_turns: int(row, "agent_turns")?,
    })
}

/// The person's words taken literally by LIKE (with `ESCAPE '\'`).
/// The words as they appear inside a JSON string (quotes, backslashes and
/// control characters escaped), without the quotes around it.
fn json_spelling(words: &str) -> String {
    let quoted = serde_json::to_string(words).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(words)
        .to_owned()
}

fn escape_like(words: &str) -> String {
    let mut escaped = String::with_capacity(words.len());
    for c in words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(escape_like("50%_off\\x"), "50\\%\\_off\\\\x");
        assert_eq!(escape_like("plain words"), "plain words");
    }
}
