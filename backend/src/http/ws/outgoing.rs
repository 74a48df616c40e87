//! A socket's outgoing side, bounded by bytes. Whatever the transcript, a
//! socket holds at most `BUDGET` bytes of messages waiting to be written
//! (one larger message at a time, never more): a subscription that would
//! go past it waits, so its replay reads the store only as fast as the
//! socket drains. A viewer that takes nothing for `SLOW_LIMIT` is told it
//! is too far behind and dropped; it resumes by `seq` when it reconnects.

use crate::hub::{EventBatch, SidebarEntry};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::ws::ServerMessage;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

/// Bytes of messages one socket may have waiting.
pub const BUDGET: usize = 128 * 1024;
/// How long a socket may take nothing before it is dropped.
pub const SLOW_LIMIT: Duration = Duration::from_secs(30);
/// Messages waiting, at most, however small (the budget bounds bytes).
const QUEUE: usize = 1024;

/// What goes out on a socket.
pub enum Outgoing {
    /// A message serialised by its sender (its size is what it costs).
    Text(String),
    /// Stored events serialised once for every viewer.
    Batch(EventBatch),
    /// A sidebar entry serialised once for every socket.
    Sidebar(Arc<SidebarEntry>),
    /// The last thing sent: a close frame with its code and reason.
    Close(u16, &'static str),
}

pub struct Queued {
    outgoing: Outgoing,
    /// Released when the message has been written.
    _bytes: Option<OwnedSemaphorePermit>,
}

/// The sending end of a socket's outgoing queue.
#[derive(Clone)]
pub struct Out {
    tx: mpsc::Sender<Queued>,
    budget: Arc<Semaphore>,
    behind: Arc<Notify>,
}

impl Out {
    pub fn new() -> (Out, mpsc::Receiver<Queued>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let out = Out {
            tx,
            budget: Arc::new(Semaphore::new(BUDGET)),
            behind: Arc::new(Notify::new()),
        };
        (out, rx)
    }

    pub async fn send(&self, message: ServerMessage) -> Result<(), ()> {
        let text = serde_json::to_string(&message).map_err(|_| ())?;
        // Only the text waits for room: a replay page is not held twice.
        drop(message);
        let size = text.len();
        self.queue(Outgoing::Text(text), size).await
    }

    pub async fn batch(&self, batch: EventBatch) -> Result<(), ()> {
        let size = batch.json().map(|text| text.len()).unwrap_or(0);
        self.queue(Outgoing::Batch(batch), size).await
    }

    pub async fn sidebar(&self, entry: Arc<SidebarEntry>) -> Result<(), ()> {
        let size = entry.json().map(|text| text.len()).unwrap_or(0);
        self.queue(Outgoing::Sidebar(entry), size).await
    }

    /// Sent past the budget: the last words before a close.
    fn urgent(&self, outgoing: Outgoing) {
        let _ = self.tx.try_send(Queued {
            outgoing,
            _bytes: None,
        });
    }

    /// Says why, then closes with `code`: both past the budget, so they go
    /// out whatever is queued.
    pub fn last_words(&self, message: &ServerMessage, code: u16, reason: &'static str) {
        if let Ok(text) = serde_json::to_string(message) {
            self.urgent(Outgoing::Text(text));
        }
        self.urgent(Outgoing::Close(code, reason));
    }

    /// Fires when a sender waited `SLOW_LIMIT` for room: the viewer is too
    /// far behind.
    pub fn behind(&self) -> Arc<Notify> {
        self.behind.clone()
    }

    async fn queue(&self, outgoing: Outgoing, size: usize) -> Result<(), ()> {
        let permits = u32::try_from(size.clamp(1, BUDGET)).unwrap_or(u32::MAX);
        let room = self.budget.clone().acquire_many_owned(permits);
        match tokio::time::timeout(SLOW_LIMIT, room).await {
            Ok(Ok(bytes)) => self
                .tx
                .send(Queued {
                    outgoing,
                    _bytes: Some(bytes),
                })
                .await
                .map_err(|_| ()),
            Ok(Err(_)) => Err(()),
            Err(_) => {
                self.behind.notify_one();
                Err(())
            }
        }
    }
}

/// Writes what is queued until the queue closes, a close is sent, or the
/// socket takes nothing for `SLOW_LIMIT`.
pub async fn write(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Queued>) {
    while let Some(Queued {
        outgoing,
        _bytes: bytes,
    }) = rx.recv().await
    {
        // The text moves into the frame (no second copy while it waits);
        // its bytes stay counted until the frame is written.
        let message = match outgoing {
            Outgoing::Text(text) => Message::Text(Utf8Bytes::from(text)),
            Outgoing::Batch(batch) => match batch.json() {
                Some(text) => Message::Text(text),
                None => continue,
            },
            Outgoing::Sidebar(entry) => match entry.json() {
                Some(text) => Message::Text(text),
                None => continue,
            },
            Outgoing::Close(code, reason) => {
                let frame = CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                };
                let _ =
                    tokio::time::timeout(SLOW_LIMIT, sink.send(Message::Close(Some(frame)))).await;
                return;
            }
        };
        match tokio::time::timeout(SLOW_LIMIT, sink.send(message)).await {
            Ok(Ok(())) => drop(bytes),
            // Gone, or reading nothing: drop it.
            _ => return,
        }
    }
    let _ = tokio::time::timeout(SLOW_LIMIT, sink.close()).await;
}
