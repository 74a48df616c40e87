//! `/api/ws`: transcripts streamed by `seq`, and sidebar updates.
//!
//! Each socket has one writer task behind a bounded queue. A subscription
//! subscribes to the hub first, then replays the store after the client's
//! `seq`, then forwards the live tail, dropping by `seq` what it already
//! sent; when it lags, it re-reads the store. Nothing is skipped, nothing
//! doubled.

use super::AppState;
use crate::hub::{EventBatch, Hub};
use crate::store::Store;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{Seq, SessionId, TranscriptEvent};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// Largest frame a client may send; client frames are small commands.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
const OUTGOING_QUEUE: usize = 256;
const REPLAY_PAGE: i64 = 2000;
/// Subscriptions one socket may hold.
const MAX_SUBSCRIPTIONS: usize = 256;

pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    // Small buffers: client frames are small commands, and an idle viewer
    // should cost kilobytes, not the 128 KiB defaults.
    ws.max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(socket, state))
}

/// What goes out on a socket: a message, or a batch already serialised
/// once for every viewer.
pub enum Outgoing {
    Message(ServerMessage),
    Batch(EventBatch),
}

/// The sending end of a socket's outgoing queue.
#[derive(Clone)]
pub struct Out(mpsc::Sender<Outgoing>);

impl Out {
    pub async fn send(&self, message: ServerMessage) -> Result<(), ()> {
        self.0
            .send(Outgoing::Message(message))
            .await
            .map_err(|_| ())
    }

    pub async fn batch(&self, batch: EventBatch) -> Result<(), ()> {
        self.0.send(Outgoing::Batch(batch)).await.map_err(|_| ())
    }
}

async fn connection(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Outgoing>(OUTGOING_QUEUE);
    let out = Out(out_tx);
    let writer = tokio::spawn(async move {
        while let Some(outgoing) = out_rx.recv().await {
            let text = match &outgoing {
                Outgoing::Message(message) => serde_json::to_string(message).ok(),
                Outgoing::Batch(batch) => batch.json().map(str::to_owned),
            };
            let Some(text) = text else {
                continue;
            };
            if sink
                .send(Message::Text(Utf8Bytes::from(text)))
                .await
                .is_err()
            {
                return;
            }
        }
        let _ = sink.close().await;
    });
    let sidebar = tokio::spawn(forward_sidebar(state.hub.subscribe_sidebar(), out.clone()));
    let mut subscriptions: HashMap<SessionId, JoinHandle<()>> = HashMap::new();

    while let Some(frame) = stream.next().await {
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => continue,
            Ok(Message::Binary(_)) => {
                let _ = out
                    .send(error("bad_frame", "binary frames are not understood", None))
                    .await;
                continue;
            }
        };
        let message = match serde_json::from_str::<ClientMessage>(text.as_str()) {
            Ok(message) => message,
            Err(err) => {
                let _ = out
                    .send(error(
                        "bad_frame",
                        &format!("not a client message: {err}"),
                        None,
                    ))
                    .await;
                continue;
            }
        };
        match message {
            ClientMessage::Ping { nonce } => {
                let _ = out.send(ServerMessage::Pong { nonce }).await;
            }
            ClientMessage::Unsubscribe { session_id } => {
                if let Some(task) = subscriptions.remove(&session_id) {
                    task.abort();
                }
            }
            ClientMessage::Subscribe { session_id, after } => {
                subscriptions.retain(|_, task| !task.is_finished());
                if !subscriptions.contains_key(&session_id)
                    && subscriptions.len() >= MAX_SUBSCRIPTIONS
                {
                    let _ = out
                        .send(error(
                            "too_many_subscriptions",
                            "unsubscribe from a session first",
                            Some(session_id),
                        ))
                        .await;
                    continue;
                }
                match state.store.get_session(&session_id).await {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        let _ = out
                            .send(error(
                                "not_found",
                                "no session with that id",
                                Some(session_id),
                            ))
                            .await;
                        continue;
                    }
                    Err(err) => {
                        tracing::error!(%err, "store error on subscribe");
                        let _ = out
                            .send(error(
                                "internal",
                                "could not read the session",
                                Some(session_id),
                            ))
                            .await;
                        continue;
                    }
                }
                if let Some(task) = subscriptions.remove(&session_id) {
                    task.abort();
                }
                let task = tokio::spawn(subscription(
                    state.store.clone(),
                    state.hub.clone(),
                    session_id.clone(),
                    after,
                    out.clone(),
                ));
                subscriptions.insert(session_id, task);
            }
        }
    }
    for (_, task) in subscriptions {
        task.abort();
    }
    sidebar.abort();
    drop(out);
    let _ = writer.await;
}

fn error(code: &str, message: &str, session_id: Option<SessionId>) -> ServerMessage {
    ServerMessage::Error {
        code: code.to_owned(),
        message: message.to_owned(),
        session_id,
    }
}

async fn forward_sidebar(
    mut updates: broadcast::Receiver<tandem_shared::api::SessionSummary>,
    out: Out,
) {
    loop {
        match updates.recv().await {
            Ok(session) => {
                if out.send(ServerMessage::Session { session }).await.is_err() {
                    return;
                }
            }
            // Sidebar entries are whole states: a missed one is superseded
            // by the next for that session.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Streams one session to one socket.
pub async fn subscription(
    store: Store,
    hub: Arc<Hub>,
    session_id: SessionId,
    after: Seq,
    out: Out,
) {
    // Subscribe first: an event stored while we read is then in the channel.
    let mut live = hub.subscribe(&session_id);
    let mut last = after;
    if replay(&store, &session_id, &mut last, &out).await.is_err() {
        return;
    }
    if out
        .send(ServerMessage::CaughtUp {
            session_id: session_id.clone(),
            last_seq: last,
        })
        .await
        .is_err()
    {
        return;
    }
    loop {
        match live.recv().await {
            Ok(batch) => {
                let starts_after_gap = batch
                    .events
                    .iter()
                    .find(|event| event.seq > last)
                    .is_some_and(|event| event.seq > last.next());
                if starts_after_gap {
                    // Should not happen; the store has whatever is missing.
                    if replay(&store, &session_id, &mut last, &out).await.is_err() {
                        return;
                    }
                    continue;
                }
                // The common case: the whole batch is new to this viewer, so
                // it goes out as serialised once for all viewers.
                if batch
                    .events
                    .first()
                    .is_some_and(|event| event.seq == last.next())
                {
                    if let Some(newest) = batch.events.last() {
                        last = newest.seq;
                    }
                    if out.batch(batch).await.is_err() {
                        return;
                    }
                    continue;
                }
                let fresh: Vec<TranscriptEvent> = batch
                    .events
                    .iter()
                    .filter(|event| event.seq > last)
                    .cloned()
                    .collect();
                let Some(newest) = fresh.last() else { continue };
                last = newest.seq;
                if out
                    .send(ServerMessage::Events {
                        session_id: session_id.clone(),
                        events: fresh,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                if replay(&store, &session_id, &mut last, &out).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Sends every stored event after `last`, moving `last` along.
async fn replay(
    store: &Store,
    session_id: &SessionId,
    last: &mut Seq,
    out: &Out,
) -> Result<(), ()> {
    loop {
        let page = match store.events_after(session_id, *last, REPLAY_PAGE).await {
            Ok(page) => page,
            Err(err) => {
                tracing::error!(%err, "store error during replay");
                let _ = out
                    .send(error(
                        "internal",
                        "could not read the transcript",
                        Some(session_id.clone()),
                    ))
                    .await;
                return Err(());
            }
        };
        let Some(newest) = page.last() else {
            return Ok(());
        };
        *last = newest.seq;
        let full = page.len() as i64 == REPLAY_PAGE;
        out.send(ServerMessage::Events {
            session_id: session_id.clone(),
            events: page,
        })
        .await
        .map_err(|_| ())?;
        if !full {
            return Ok(());
        }
    }
}
