//! `tandem migrate --from … --to …`: everything in one database copied into
//! another, empty one (SQLite to PostgreSQL when a team outgrows one
//! server). The copy itself is `store::copy`; this checks the ends first.

use crate::store::{CopyError, Store, StoreError};
use std::time::Duration;

/// A server seen this recently on the source still runs: its writes would
/// be lost.
const STILL_RUNNING: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("no SQLite database at {0}")]
    NoSource(String),
    #[error(
        "a Tandem server still runs on the source (node `{name}` at {addr}, seen {seconds} s ago); \
         stop it first, or what it writes meanwhile is not copied"
    )]
    SourceInUse {
        name: String,
        addr: String,
        seconds: i64,
    },
    #[error("the source: {0}")]
    Source(StoreError),
    #[error("the target: {0}")]
    Target(StoreError),
    #[error(transparent)]
    Copy(#[from] CopyError),
}

/// What was copied: table and rows, in the order copied.
pub struct Migrated {
    pub tables: Vec<(String, i64)>,
}

impl Migrated {
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|(_, rows)| rows).sum()
    }
}

/// Checks the source exists and is not in use, then copies it into the
/// target (both brought to the current schema first).
pub async fn migrate(from: &str, to: &str, now_ms: i64) -> Result<Migrated, MigrateError> {
    if from == to {
        return Err(CopyError::SameDatabase.into());
    }
    if let Some(path) = sqlite_path(from) {
        if !std::path::Path::new(&path).is_file() {
            return Err(MigrateError::NoSource(path));
        }
    }
    let source = Store::connect(from).await.map_err(MigrateError::Source)?;
    let fresh = now_ms - STILL_RUNNING.as_millis() as i64;
    if let Some(node) = source
        .nodes()
        .await
        .map_err(MigrateError::Source)?
        .into_iter()
        .find(|node| node.seen_at > fresh)
    {
        return Err(MigrateError::SourceInUse {
            name: node.name,
            addr: node.addr,
            seconds: (now_ms - node.seen_at) / 1000,
        });
    }
    let target = Store::connect(to).await.map_err(MigrateError::Target)?;
    let tables = source.copy_into(&target).await?;
    source.close().await;
    target.close().await;
    Ok(Migrated { tables })
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// A database URL without its password, to print.
pub fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///data/tandem.db?mode=rwc").as_deref(),
            Some("/data/tandem.db")
        );
        assert_eq!(
            sqlite_path("sqlite:tandem.db").as_deref(),
            Some("tandem.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            shown("postgres://tandem:secret@db:5432/tandem"),
            "postgres://tandem@db:5432/tandem"
        );
        assert_eq!(
            shown("sqlite:///data/tandem.db"),
            "sqlite:///data/tandem.db"
        );
    }
}
