//! Several servers on one database: nodes and their heartbeats, which node
//! owns each live session, and commands sent to a session's owner.
//!
//! A node is alive while it renews its row (`seen_at` newer than the caller's
//! `fresh_after`) and has not said it stopped. A session's owner row counts
//! only while its node is alive: a node that dies loses every session at
//! once, without touching each row.

use super::{int, opt_text, text, Store, StoreError};
use tandem_shared::{AssistantId, SessionId};

/// One server as it registered itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub id: String,
    pub name: String,
    pub host: String,
    pub addr: String,
    pub pid: i64,
    pub version: String,
    pub started_at: i64,
    pub seen_at: i64,
}

/// Which node owns a session now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub node_id: String,
    pub alive: bool,
}

/// A command as the owner finds it.
#[derive(Debug, Clone)]
pub struct CommandRow {
    pub id: String,
    pub session_id: SessionId,
    pub from_node: String,
    pub body: String,
}

/// Held while one server decides what an assistant's wake does, so the
/// servers on one database decide for an assistant one at a time (a
/// PostgreSQL advisory lock, gone with the transaction however it ends).
pub struct AssistantLock {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl AssistantLock {
    pub async fn release(self) {
        if let Some(tx) = self.tx {
            if let Err(error) = tx.commit().await {
                tracing::debug!(%error, "releasing an assistant's lock");
            }
        }
    }
}

/// Live statuses, as `live_sessions` reads them.
const LIVE: &str = "('starting', 'running', 'waiting_approval', 'paused')";

/// Nodes alive at `fresh_after`: the subquery every ownership test uses.
const ALIVE_NODES: &str =
    "SELECT id FROM cluster_nodes WHERE seen_at > $FRESH AND stopped_at IS NULL";

fn alive_nodes(n: usize) -> String {
    ALIVE_NODES.replace("$FRESH", &format!("${n}"))
}

impl Store {
    pub async fn register_node(&self, node: &NodeRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cluster_nodes (id, name, host, addr, pid, version, started_at, seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&node.id)
        .bind(&node.name)
        .bind(&node.host)
        .bind(&node.addr)
        .bind(node.pid)
        .bind(&node.version)
        .bind(node.started_at)
        .bind(node.seen_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Renews the node's lease. False when its row is gone or it was
    /// marked stopped (it must not act as alive any more).
    pub async fn node_heartbeat(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE cluster_nodes SET seen_at = $1 WHERE id = $2 AND stopped_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn node_stopped(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE cluster_nodes SET stopped_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Every node that has not said it stopped, newest first; `seen_at`
    /// tells whether it still renews.
    pub async fn nodes(&self) -> Result<Vec<NodeRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, host, addr, pid, version, started_at, seen_at FROM cluster_nodes \
             WHERE stopped_at IS NULL ORDER BY started_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(NodeRow {
                    id: text(row, "id")?,
                    name: text(row, "name")?,
                    host: text(row, "host")?,
                    addr: text(row, "addr")?,
                    pid: int(row, "pid")?,
                    version: text(row, "version")?,
                    started_at: int(row, "started_at")?,
                    seen_at: int(row, "seen_at")?,
                })
            })
            .collect()
    }

    /// How many sessions each live node owns.
    pub async fn live_sessions_by_node(
        &self,
        fresh_after: i64,
    ) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        let sql = format!(
            "SELECT node_id, COUNT(*) AS live FROM session_owners WHERE node_id IN ({}) \
             GROUP BY node_id",
            alive_nodes(1)
        );
        let rows = sqlx::query(&sql)
            .bind(fresh_after)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    text(row, "node_id")?,
                    u32::try_from(int(row, "live")?).unwrap_or(u32::MAX),
                ))
            })
            .collect()
    }

    /// Earlier lives of a node name that never said they stopped: a
    /// restart takes their place at once instead of waiting out their
    /// leases. Marked stopped here.
    pub async fn retire_earlier_lives(
        &self,
        name: &str,
        me: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE cluster_nodes SET stopped_at = $1 \
             WHERE name = $2 AND id <> $3 AND stopped_at IS NULL",
        )
        .bind(now)
        .bind(name)
        .bind(me)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    /// Whether the node renewed its lease after `fresh_after` and has not
    /// stopped.
    pub async fn node_alive(&self, id: &str, fresh_after: i64) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM cluster_nodes \
             WHERE id = $1 AND seen_at > $2 AND stopped_at IS NULL",
        )
        .bind(id)
        .bind(fresh_after)
        .fetch_one(&self.pool)
        .await?;
        Ok(int(&row, "n")? > 0)
    }

    /// Makes `node` the session's owner unless a live node owns it.
    /// True when `node` owns it now.
    pub async fn claim_session(
        &self,
        session_id: &SessionId,
        assistant_id: &AssistantId,
        node: &str,
        now: i64,
        fresh_after: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO session_owners (session_id, node_id, assistant_id, since) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, \
             since = excluded.since \
             WHERE session_owners.node_id = excluded.node_id \
             OR session_owners.node_id NOT IN ({})",
            alive_nodes(5)
        );
        let done = sqlx::query(&sql)
            .bind(session_id.as_str())
            .bind(node)
            .bind(assistant_id.as_str())
            .bind(now)
            .bind(fresh_after)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives up ownership (the actor ended); only the owner's own row.
    pub async fn release_session(
        &self,
        session_id: &SessionId,
        node: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM session_owners WHERE session_id = $1 AND node_id = $2")
            .bind(session_id.as_str())
            .bind(node)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn owner_of(
        &self,
        session_id: &SessionId,
        fresh_after: i64,
    ) -> Result<Option<Owner>, StoreError> {
        let sql = format!(
            "SELECT node_id, CASE WHEN node_id IN ({}) THEN 1 ELSE 0 END AS alive \
             FROM session_owners WHERE session_id = $1",
            alive_nodes(2)
        );
        let row = sqlx::query(&sql)
            .bind(session_id.as_str())
            .bind(fresh_after)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Owner {
                node_id: text(&row, "node_id")?,
                alive: int(&row, "alive")? == 1,
            })
        })
        .transpose()
    }

    /// The assistant's sessions owned by live nodes, oldest claim first.
    pub async fn live_owned_sessions(
        &self,
        assistant_id: &AssistantId,
        fresh_after: i64,
    ) -> Result<Vec<SessionId>, StoreError> {
        let sql = format!(
            "SELECT session_id FROM session_owners WHERE assistant_id = $1 \
             AND node_id IN ({}) ORDER BY since, session_id",
            alive_nodes(2)
        );
        let rows = sqlx::query(&sql)
            .bind(assistant_id.as_str())
            .bind(fresh_after)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(SessionId(text(row, "session_id")?)))
            .collect()
    }

    /// Takes over the sessions whose owner died, and live sessions with no
    /// owner at all, for `me` to record as interrupted. Rows another node
    /// is taking at this moment are skipped (`FOR UPDATE SKIP LOCKED`), so
    /// each is taken once. PostgreSQL only: one SQLite server owns all.
    pub async fn take_orphaned_sessions(
        &self,
        me: &str,
        now: i64,
        fresh_after: i64,
        runner_grace_after: i64,
    ) -> Result<Vec<SessionId>, StoreError> {
        let mut tx = self.writer.begin().await?;
        // Not yet those whose agent runs on a runner, while their server
        // died recently: the runner may link to another server, which
        // takes them over.
        let sql = format!(
            "SELECT session_id FROM session_owners WHERE node_id NOT IN ({}) \
             AND session_id NOT IN (SELECT r.session_id FROM remote_runs r \
             JOIN cluster_nodes d ON d.id = r.node_id WHERE d.seen_at > $2) \
             ORDER BY since LIMIT 100 FOR UPDATE SKIP LOCKED",
            alive_nodes(1)
        );
        let rows = sqlx::query(&sql)
            .bind(fresh_after)
            .bind(runner_grace_after)
            .fetch_all(&mut *tx)
            .await?;
        let mut taken = Vec::new();
        for row in &rows {
            let id = text(row, "session_id")?;
            sqlx::query("UPDATE session_owners SET node_id = $1, since = $2 WHERE session_id = $3")
                .bind(me)
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            taken.push(SessionId(id));
        }
        tx.commit().await?;
        // Live in the store yet owned by nobody: a node died between
        // releasing and recording (or before this table existed).
        let unowned = sqlx::query(&format!(
            "SELECT id, assistant_id FROM sessions WHERE status IN {LIVE} \
             AND id NOT IN (SELECT session_id FROM session_owners)"
        ))
        .fetch_all(&self.pool)
        .await?;
        for row in &unowned {
            let id = SessionId(text(row, "id")?);
            let assistant = AssistantId(text(row, "assistant_id")?);
            let done = sqlx::query(
                "INSERT INTO session_owners (session_id, node_id, assistant_id, since) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(me)
            .bind(assistant.as_str())
            .bind(now)
            .execute(&self.writer)
            .await?;
            if done.rows_affected() == 1 {
                taken.push(id);
            }
        }
        Ok(taken)
    }

    /// Waits until no other server decides for this assistant (nothing to
    /// wait for on SQLite).
    pub async fn lock_assistant(
        &self,
        assistant_id: &AssistantId,
    ) -> Result<AssistantLock, StoreError> {
        if self.backend != super::Backend::Postgres {
            return Ok(AssistantLock { tx: None });
        }
        let mut tx = self.writer.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(assistant_id.as_str())
            .execute(&mut *tx)
            .await?;
        Ok(AssistantLock { tx: Some(tx) })
    }

    /// A command for the node that owns a session.
    pub async fn add_cluster_command(
        &self,
        row: &CommandRow,
        to_node: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cluster_commands (id, session_id, from_node, to_node, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(row.session_id.as_str())
        .bind(&row.from_node)
        .bind(to_node)
        .bind(&row.body)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The commands for `node` nobody has taken, each now taken by it
    /// (once: a second taker finds it taken).
    pub async fn take_cluster_commands(
        &self,
        node: &str,
        now: i64,
    ) -> Result<Vec<CommandRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, session_id, from_node, body FROM cluster_commands \
             WHERE to_node = $1 AND taken_at IS NULL ORDER BY created_at",
        )
        .bind(node)
        .fetch_all(&self.pool)
        .await?;
        let mut taken = Vec::new();
        for row in &rows {
            let id = text(row, "id")?;
            let done = sqlx::query(
                "UPDATE cluster_commands SET taken_at = $1 WHERE id = $2 AND taken_at IS NULL",
            )
            .bind(now)
            .bind(&id)
            .execute(&self.writer)
            .await?;
            if done.rows_affected() == 1 {
                taken.push(CommandRow {
                    id,
                    session_id: SessionId(text(row, "session_id")?),
                    from_node: text(row, "from_node")?,
                    body: text(row, "body")?,
                });
            }
        }
        Ok(taken)
    }

    pub async fn reply_cluster_command(&self, id: &str, reply: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE cluster_commands SET reply = $1 WHERE id = $2")
            .bind(reply)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The command's answer once there is one; the row goes with it.
    pub async fn take_cluster_reply(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT reply FROM cluster_commands WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let reply = match row {
            Some(row) => opt_text(&row, "reply")?,
            None => None,
        };
        if reply.is_some() {
            self.forget_cluster_command(id).await?;
        }
        Ok(reply)
    }

    pub async fn forget_cluster_command(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM cluster_commands WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The fingerprint of a shared key: set by the first node, read by the
    /// rest. Returns what is stored after the call.
    pub async fn cluster_key(&self, name: &str, fingerprint: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO cluster_keys (name, fingerprint) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fingerprint)
        .execute(&self.writer)
        .await?;
        let row = sqlx::query("SELECT fingerprint FROM cluster_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        text(&row, "fingerprint")
    }

    /// Tells every listening node (PostgreSQL's NOTIFY; nothing on SQLite,
    /// where one server is all there is).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        if self.backend != super::Backend::Postgres {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
