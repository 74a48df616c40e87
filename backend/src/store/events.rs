//! The transcript log: appended in batches, read by `seq`.

use super::{int, json, text, to_json, Store, StoreError};
use std::fmt::Write as _;
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus, TranscriptEvent};

/// Rows per INSERT statement; keeps well inside every database's limit on
/// bound parameters.
const ROWS_PER_INSERT: usize = 200;

/// Where PostgreSQL says a session's events were stored.
pub const EVENTS_CHANNEL: &str = "tandem_events";

/// What an append changes on the session row.
#[derive(Debug, Clone, Default)]
pub struct SessionChange {
    pub status: Option<(SessionStatus, Option<String>)>,
    pub title: Option<String>,
}

impl SessionChange {
    /// Reads the change off the events themselves, so the row can never
    /// disagree with the log.
    pub fn from_events(events: &[TranscriptEvent]) -> SessionChange {
        let mut change = SessionChange::default();
        for event in events {
            match &event.body {
                EventBody::StatusChange { status, reason } => {
                    change.status = Some((*status, reason.clone()))
                }
                EventBody::TitleChange { title } => change.title = Some(title.clone()),
                _ => {}
            }
        }
        change
    }
}

impl Store {
    /// Appends consecutive events of one session in one transaction, and
    /// moves the session row along with them. The caller (the session's
    /// actor) has given each its `seq`.
    pub async fn append_events(
        &self,
        session_id: &SessionId,
        events: &[TranscriptEvent],
    ) -> Result<(), StoreError> {
        self.append_many(&[(session_id.clone(), events.to_vec())])
            .await?;
        self.restart_wal_if_due().await;
        Ok(())
    }

    /// Appends the events of several sessions in one transaction: group
    /// commit, so many live sessions share one write.
    pub async fn append_many(
        &self,
        appends: &[(SessionId, Vec<TranscriptEvent>)],
    ) -> Result<(), StoreError> {
        let rows: Vec<(&SessionId, &TranscriptEvent)> = appends
            .iter()
            .flat_map(|(session, events)| events.iter().map(move |event| (session, event)))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer.acquire().await?;
        let notify = self.backend == super::Backend::Postgres;
        let result = write_appends(&mut conn, appends, &rows, notify).await;
        if result.is_err() {
            // A commit that fails on a full or failing disk can leave the
            // database's transaction open on this connection, and every
            // later write would then vanish into it: start a fresh one.
            conn.close_on_drop();
        }
        result
    }

    /// Like `events_after`, but stops once the events read hold `max_bytes`
    /// of payload (always at least one event): rows are read one by one and
    /// the rest are never read (SQLite) or dropped as they arrive
    /// (PostgreSQL), so a replay page holds a bounded amount of transcript
    /// whatever its events weigh. Says whether it stopped for the bytes.
    pub async fn events_after_within(
        &self,
        session_id: &SessionId,
        after: Seq,
        limit: i64,
        max_bytes: usize,
    ) -> Result<(Vec<TranscriptEvent>, bool), StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, payload FROM events WHERE session_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(session_id.as_str())
        .bind(seq_to_i64(after))
        .bind(limit)
        .fetch(&self.pool);
        // At most `limit` rows come, so only the bytes can stop it early.
        read_within(rows, session_id, limit, max_bytes).await
    }

    /// The newest events of a session, oldest first: at most `limit`, and
    /// no more than `max_bytes` of payload (always at least one event),
    /// read newest first and row by row as `events_after_within` reads.
    /// Says whether older events remain.
    pub async fn newest_events_within(
        &self,
        session_id: &SessionId,
        limit: i64,
        max_bytes: usize,
    ) -> Result<(Vec<TranscriptEvent>, bool), StoreError> {
        // One row past the limit says whether anything older remains.
        let rows = sqlx::query(
            "SELECT seq, at, payload FROM events WHERE session_id = $1 \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(session_id.as_str())
        .bind(limit.saturating_add(1))
        .fetch(&self.pool);
        let (mut events, more_before) = read_within(rows, session_id, limit, max_bytes).await?;
        events.reverse();
        Ok((events, more_before))
    }

    /// Events with `seq > after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        session_id: &SessionId,
        after: Seq,
        limit: i64,
    ) -> Result<Vec<TranscriptEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, payload FROM events WHERE session_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(session_id.as_str())
        .bind(seq_to_i64(after))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| event_from_row(session_id, row, &text(row, "payload")?))
            .collect()
    }
}

impl Store {
    /// What an agent session said and did across every Tandem session that
    /// used it (newest `limit` events), for telling its replay apart from
    /// new work after a warm load.
    pub async fn agent_session_history(
        &self,
        agent_session_id: &str,
        limit: i64,
    ) -> Result<Vec<EventBody>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.payload FROM events e JOIN sessions s ON s.id = e.session_id \
             WHERE s.agent_session_id = $1 AND e.kind IN \
             ('agent_message_chunk', 'agent_thought_chunk', 'tool_call', 'tool_call_update', \
              'permission_request', 'notice') \
             ORDER BY e.at DESC, e.seq DESC LIMIT $2",
        )
        .bind(agent_session_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut bodies = rows
            .iter()
            .map(|row| json::<EventBody>(&text(row, "payload")?, "event payload"))
            .collect::<Result<Vec<_>, _>>()?;
        bodies.reverse();
        Ok(bodies)
    }
}

/// Reads event rows one by one until `limit` events or `max_bytes` of
/// payload (one event at least); the rest are never read (SQLite) or
/// dropped as they arrive (PostgreSQL). Says whether a row was left.
async fn read_within(
    mut rows: futures_util::stream::BoxStream<'_, Result<sqlx::any::AnyRow, sqlx::Error>>,
    session_id: &SessionId,
    limit: i64,
    max_bytes: usize,
) -> Result<(Vec<TranscriptEvent>, bool), StoreError> {
    use futures_util::TryStreamExt;
    let mut events = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.try_next().await? {
        let payload = text(&row, "payload")?;
        let full = events.len() as i64 >= limit;
        if full || (!events.is_empty() && bytes + payload.len() > max_bytes) {
            return Ok((events, true));
        }
        bytes += payload.len();
        events.push(event_from_row(session_id, &row, &payload)?);
    }
    Ok((events, false))
}

/// One row of `events` (`seq`, `at`; its payload read already).
fn event_from_row(
    session_id: &SessionId,
    row: &sqlx::any::AnyRow,
    payload: &str,
) -> Result<TranscriptEvent, StoreError> {
    let seq = int(row, "seq")?;
    Ok(TranscriptEvent {
        session_id: session_id.clone(),
        seq: Seq(
            u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative seq {seq}")))?
        ),
        at: int(row, "at")?,
        body: json::<EventBody>(payload, "event payload")?,
    })
}

fn seq_to_i64(seq: Seq) -> i64 {
    i64::try_from(seq.0).unwrap_or(i64::MAX)
}

/// The rows and session updates of one group commit, in one transaction.
async fn write_appends(
    conn: &mut sqlx::AnyConnection,
    appends: &[(SessionId, Vec<TranscriptEvent>)],
    rows: &[(&SessionId, &TranscriptEvent)],
    notify: bool,
) -> Result<(), StoreError> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    if notify {
        // Other servers' viewers learn of the events as they commit (a
        // NOTIFY is delivered at commit, never before): "session first last".
        for (session_id, events) in appends {
            if let (Some(first), Some(last)) = (events.first(), events.last()) {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(EVENTS_CHANNEL)
                    .bind(format!(
                        "{} {} {}",
                        session_id.as_str(),
                        first.seq.0,
                        last.seq.0
                    ))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }

    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql =
            String::from("INSERT INTO events (session_id, seq, at, kind, payload) VALUES ");
        for i in 0..chunk.len() {
            let p = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(
                sql,
                "(${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            );
        }
        let mut query = sqlx::query(&sql);
        for (session_id, event) in chunk {
            query = query
                .bind(session_id.as_str())
                .bind(seq_to_i64(event.seq))
                .bind(event.at)
                .bind(event.body.kind())
                .bind(to_json(&event.body)?);
        }
        query.execute(&mut *tx).await?;
    }
    for (session_id, event) in rows {
        if let EventBody::Spend { spend } = &event.body {
            super::spending::record(&mut tx, session_id, event, spend).await?;
        }
    }
    for (session_id, events) in appends {
        let Some(last) = events.last() else {
            continue;
        };
        // The row changes only with what it holds: its last `seq` and time
        // are read off the log, so most appends write the events alone.
        let change = SessionChange::from_events(events);
        if change.status.is_none() && change.title.is_none() {
            continue;
        }
        let mut sql = String::from("UPDATE sessions SET updated_at = $1");
        let mut n = 1;
        if change.status.is_some() {
            let _ = write!(sql, ", status = ${}, status_reason = ${}", n + 1, n + 2);
            n += 2;
        }
        if change.title.is_some() {
            let _ = write!(sql, ", title = ${}", n + 1);
            n += 1;
        }
        let _ = write!(sql, " WHERE id = ${}", n + 1);
        let mut query = sqlx::query(&sql).bind(last.at);
        if let Some((status, reason)) = &change.status {
            query = query.bind(status.as_str()).bind(reason.clone());
        }
        if let Some(title) = &change.title {
            query = query.bind(title.clone());
        }
        query.bind(session_id.as_str()).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
