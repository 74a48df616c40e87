//! The one module that owns SQL.
//!
//! Runs on SQLite (the embedded default, WAL) and PostgreSQL through sqlx's
//! `Any` driver, so every query here is written once in the SQL both accept.
//! Migrations are embedded, one folder per database.

mod agent_processes;
mod appender;
mod approvals;
mod assistants;
mod budgets;
mod chat;
mod choices;
mod cluster;
mod copy;
mod credentials;
mod events;
mod fault;
mod members;
mod prices;
mod push;
mod queued;
mod remote_runs;
mod routines;
mod rules;
mod runners;
mod secrets;
mod sessions;
mod share_links;
mod spending;
mod tasks;
mod users;
mod wakes;
mod worktrees;

pub use agent_processes::AgentProcess;
pub use appender::{AppendError, Appender};
pub use approvals::{ApprovalRecord, ApprovalRequest, AskedApproval, DecideOutcome};
pub use budgets::{BudgetRow, TEAM_SCOPE};
pub use cluster::{AssistantLock, CommandRow, NodeRow, Owner};
pub use copy::CopyError;
pub use events::EVENTS_CHANNEL;
pub use fault::StorageFault;
pub use push::PushTarget;
pub use queued::QueuedMessage;
pub use remote_runs::RemoteRun;
pub use runners::RunnerRecord;
pub use secrets::SealedSecret;
pub use sessions::{NewSession, SessionRecord};
pub use users::NewUserOutcome;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Whose view a listing is for: everything (an admin, or Tandem itself), or
/// only what belongs to the assistants a person is a member of.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    MemberOf(&'a tandem_shared::UserId),
}

impl Scope<'_> {
    /// A SQL condition on `column` (an assistant id) for this scope, using
    /// bind parameter `$n`, where `bind_value()` goes. `All` refers to the
    /// parameter too, so every query binds the same places on PostgreSQL.
    fn condition(&self, column: &str, n: usize) -> String {
        match self {
            Scope::All => format!("${n} = ${n}"),
            Scope::MemberOf(_) => format!(
                "{column} IN (SELECT assistant_id FROM assistant_members WHERE user_id = ${n})"
            ),
        }
    }

    fn bind_value(&self) -> &str {
        match self {
            Scope::All => "",
            Scope::MemberOf(user) => user.as_str(),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    /// Reads.
    pool: AnyPool,
    /// Writes. On SQLite one connection: writers queue here instead of
    /// meeting SQLite's busy lock, whose back-off sleeps cost seconds under
    /// load. On PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    /// Set by the checkpoint task when the SQLite log has grown past its
    /// limit; the next append starts it over on the writer's connection.
    wal_restart_due: Arc<AtomicBool>,
    /// What it was opened with: the LISTEN connection opens its own.
    url: Arc<str>,
}

impl Store {
    /// Connects and runs the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let options = || AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let sqlite = |max: u32, writer: bool| {
            options()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // A log that starts over is cut back to this size.
                        conn.execute(
                            format!("PRAGMA journal_size_limit = {}", 2 * WAL_LIMIT_BYTES).as_str(),
                        )
                        .await?;
                        if writer {
                            // Checkpoints (the one write that syncs the
                            // disk) run beside the writer, not inside a
                            // commit that live viewers wait for.
                            conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                        }
                        Ok(())
                    })
                })
        };
        let wal_restart_due = Arc::new(AtomicBool::new(false));
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file for the readers.
                let writer = sqlite(1, true).connect(url).await?;
                let pool = sqlite(4, false).connect(url).await?;
                tokio::spawn(checkpoints(pool.clone(), wal_restart_due.clone()));
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = options().max_connections(16).connect(url).await?;
                (pool.clone(), pool)
            }
        };
        if backend == Backend::Sqlite {
            // WAL is a property of the database file: set once.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_optional(&writer)
                .await?;
        }
        // One folder serves both databases: every migration so far is SQL
        // both read alike. One that must differ gets a folder per database.
        sqlx::migrate!("./migrations").run(&writer).await?;
        Ok(Store {
            pool,
            writer,
            backend,
            wal_restart_due,
            url: Arc::from(url),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the pool: waits for connections in use to return.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// The write-ahead log starts over from its beginning once it holds more
/// than this, so it stays near it however long sessions write.
const WAL_LIMIT_BYTES: i64 = 32 * 1024 * 1024;

/// Moves the SQLite WAL into the database file every half second, without
/// blocking the writer (PASSIVE), until the pool closes. A PASSIVE
/// checkpoint never lets the log start over while writes keep coming (one
/// always lands between the copy and the next write), so once the log
/// passes `WAL_LIMIT_BYTES` the next append starts it over itself
/// (`restart_wal_if_due`).
async fn checkpoints(pool: AnyPool, restart_due: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut page_size = None;
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if page_size.is_none() {
            page_size = sqlx::query("PRAGMA page_size")
                .fetch_one(&pool)
                .await
                .and_then(|row| row.try_get::<i64, _>(0))
                .ok();
        }
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
            .and_then(|row| row.try_get::<i64, _>(1))
        {
            Ok(log_pages) => {
                if log_pages.saturating_mul(page_size.unwrap_or(4096)) > WAL_LIMIT_BYTES {
                    restart_due.store(true, Ordering::Relaxed);
                }
            }
            Err(error) => tracing::debug!(%error, "WAL checkpoint"),
        }
    }
}

impl Store {
    /// Starts the SQLite log over when the checkpoint task asked for it,
    /// on the writer's own connection after an append (once those who
    /// waited for it have their answer): from any other
    /// connection the restart would wait for a gap between writes that a
    /// busy writer never leaves. It waits only for readers, and copies only
    /// what the last PASSIVE checkpoint left. RESTART, not TRUNCATE:
    /// rewriting blocks the file already has costs no allocation, and a
    /// writer that must allocate waits for the file system's journal behind
    /// a checkpoint's fsync (100 live sessions: p99 48 ms with TRUNCATE,
    /// 10 ms with RESTART). `journal_size_limit` (twice the limit) cuts the
    /// file back should it ever grow past that.
    pub async fn restart_wal_if_due(&self) {
        if self.backend != Backend::Sqlite || !self.wal_restart_due.swap(false, Ordering::Relaxed) {
            return;
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .fetch_optional(&self.writer)
            .await
        {
            tracing::debug!(%error, "WAL restart");
        }
    }
}

fn text(row: &AnyRow, column: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(column)?)
}

fn opt_text(row: &AnyRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

fn int(row: &AnyRow, column: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(column)?)
}

fn json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|err| StoreError::Corrupt(format!("{what}: {err}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|err| StoreError::Corrupt(err.to_string()))
}
