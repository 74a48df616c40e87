//! Group commit: one task takes the appends of every live session and
//! writes whatever has queued up in one transaction. Each session's actor
//! waits for its own append to be stored before it publishes, so events are
//! still stored before anyone sees them, and in order per session.

use super::{Store, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_shared::{SessionId, TranscriptEvent};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Appends waiting for the writer; a full queue makes actors wait, which
/// slows their agents' stdout: memory stays bounded.
const QUEUE: usize = 1024;
/// Events in one group commit, at most.
const MAX_GROUP_EVENTS: usize = 5_000;
/// Under load, commits start at most this often: what arrives in between
/// shares one commit. Each commit rewrites whole pages (the log's tail, its
/// key's leaves), so many tiny commits write kilobytes per event and cost
/// CPU. An append that finds the writer idle this long is committed at once.
/// (100 sessions × 50 events/s: no wait 9.4 KB written and 9.3 s of CPU per
/// 50,000 events; 1 ms 6.8 KB and 5.0 s; 3 ms 6.5 KB, for 2 ms more delay.)
const COMMIT_EVERY: Duration = Duration::from_millis(1);

type Reply = oneshot::Sender<Result<(), Arc<StoreError>>>;

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Store(Arc<StoreError>),
    #[error("the store writer has stopped")]
    Stopped,
}

type Append = (SessionId, Vec<TranscriptEvent>, Reply);

#[derive(Clone)]
pub struct Appender {
    tx: mpsc::Sender<Append>,
    stop: CancellationToken,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Appender {
    /// Starts the writer task for `store`.
    pub fn start(store: Store) -> Appender {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stop = CancellationToken::new();
        let writer = tokio::spawn(run(store, rx, stop.clone()));
        Appender {
            tx,
            stop,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Writes what is queued, then stops the writer; later appends fail
    /// with `Stopped`. Shutdown calls it once the session actors are done.
    pub async fn finish(&self) {
        self.stop.cancel();
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            if let Err(error) = writer.await {
                tracing::error!(%error, "the store writer ended badly");
            }
        }
    }

    /// Stores the events; returns once they are committed.
    pub async fn append(
        &self,
        session_id: &SessionId,
        events: Vec<TranscriptEvent>,
    ) -> Result<(), AppendError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((session_id.clone(), events, reply))
            .await
            .map_err(|_| AppendError::Stopped)?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(AppendError::Store(error)),
            Err(_) => Err(AppendError::Stopped),
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Append>, stop: CancellationToken) {
    let mut last_commit: Option<Instant> = None;
    loop {
        let first = tokio::select! {
            biased;
            first = rx.recv() => first,
            _ = stop.cancelled() => {
                // Nothing new is taken; what is queued is written.
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { return };
        if let Some(turn) = last_commit.map(|last| last + COMMIT_EVERY) {
            if turn > Instant::now() {
                // Busy: this commit gathers what comes until its turn.
                tokio::time::sleep_until(turn).await;
            }
        }
        last_commit = Some(Instant::now());
        let mut group = vec![first];
        let mut events = group[0].1.len();
        while events < MAX_GROUP_EVENTS {
            match rx.try_recv() {
                Ok(next) => {
                    events += next.1.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        let (appends, replies): (Vec<_>, Vec<_>) = group
            .into_iter()
            .map(|(session, events, reply)| ((session, events), reply))
            .unzip();
        match store.append_many(&appends).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
                store.restart_wal_if_due().await;
            }
            // One bad append must not fail the others: retry each alone.
            Err(_) if appends.len() > 1 => {
                for ((session, events), reply) in appends.iter().zip(replies) {
                    let result = store.append_events(session, events).await.map_err(Arc::new);
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}
