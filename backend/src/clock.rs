//! Seams for time and identifiers, so tests control them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The clock and id source a server runs with: the system's in
/// production; tests may pass their own.
#[derive(Clone)]
pub struct Seams {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

impl Seams {
    pub fn system() -> Seams {
        Seams {
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
        }
    }
}

pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

pub trait IdGen: Send + Sync {
    fn new_id(&self, prefix: &str) -> String;
}

/// Random, unguessable ids.
pub struct RandomIds;

impl IdGen for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
    }
}

/// Predictable ids for tests: `prefix_1`, `prefix_2`, …
#[derive(Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}
