//! `/api/ws`: transcripts streamed by `seq`, sidebar updates and the
//! pending-approvals count, for a logged-in person; and the same stream of
//! one session for a share link.
//!
//! Access is checked when a subscription starts and again whenever
//! membership or share links change: a subscription the reader may no
//! longer see ends with an error, and a revoked or expired share link
//! closes its socket.
//!
//! Each socket has one writer task behind a bounded queue. A subscription
//! subscribes to the hub first, then replays the store after the client's
//! `seq`, then forwards the live tail, dropping by `seq` what it already
//! sent; when it lags, it re-reads the store. Nothing is skipped, nothing
//! doubled.

pub mod approval_counts;
pub mod caps;
mod outgoing;
mod subscription;
mod watch;

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use outgoing::Out;
use std::collections::{HashMap, HashSet};
use subscription::{subscription, Start};
use tandem_shared::api::ErrorCode;
use tandem_shared::auth::ShareLink;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{AssistantId, Seq, SessionId, TranscriptEvent};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use watch::{watch_link, watch_person};

/// Largest frame a client may send; client frames are small commands.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// A replay page: at most this many events, and this many bytes of them.
const REPLAY_PAGE: i64 = 2000;
const REPLAY_BYTES: usize = 64 * 1024;
/// A `newest_first` subscription's tail: enough entries to fill a tall
/// screen, small enough to fold and paint at once.
const TAIL_EVENTS: i64 = 200;
const TAIL_BYTES: usize = 8 * 1024;
/// Subscriptions one socket may hold.
const MAX_SUBSCRIPTIONS: usize = 256;

/// Who reads through a socket.
#[derive(Clone)]
pub enum Reader {
    Person(Caller),
    /// A share link: its one session, read-only.
    Link(ShareLink),
}

impl Reader {
    /// Whether this reader may (still) see a session of `assistant`.
    async fn may_see(
        &self,
        state: &AppState,
        session: &SessionId,
        assistant: &AssistantId,
    ) -> bool {
        let allowed = match self {
            // The credential first: a revoked token subscribes to nothing,
            // even before its socket has been told.
            Reader::Person(caller) => match caller.still_valid(state).await {
                Ok(true) => super::access::can_see(state, caller, assistant).await,
                other => other,
            },
            Reader::Link(link) => {
                if link.session_id != *session {
                    return false;
                }
                state
                    .store
                    .share_link_live(&link.id, state.now_ms())
                    .await
                    .map_err(Into::into)
            }
        };
        allowed.unwrap_or(false)
    }
}

/// The person's socket. A caller whose credentials fail still gets the
/// upgrade, then one error frame (`unauthorized`, `forbidden`) and a close:
/// a refused upgrade reaches a browser as an opaque failure, and the page
/// could not tell "log in again" from "the server is down".
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Response {
    match caller {
        Ok(caller) => accept(ws, state, Reader::Person(caller)),
        Err(refusal) => refuse(ws, refusal),
    }
}

pub fn accept(ws: WebSocketUpgrade, state: AppState, reader: Reader) -> Response {
    small_buffers(ws).on_upgrade(move |socket| connection(socket, state, reader))
}

/// `accept`, holding `held` (a share-link socket's places) while it lives.
pub fn accept_holding(
    ws: WebSocketUpgrade,
    state: AppState,
    reader: Reader,
    held: caps::Held,
) -> Response {
    small_buffers(ws).on_upgrade(move |socket| async move {
        connection(socket, state, reader).await;
        drop(held);
    })
}

/// Accepts the upgrade only to say why the socket is refused, then closes.
pub fn refuse(ws: WebSocketUpgrade, refusal: ApiError) -> Response {
    let (_, code) = refusal.status_and_code();
    let frame = error(code, &refusal.to_string(), None);
    small_buffers(ws).on_upgrade(move |mut socket| async move {
        if let Ok(text) = serde_json::to_string(&frame) {
            // The client may already be gone; nothing else to tell it.
            let _ = socket.send(Message::Text(Utf8Bytes::from(text))).await;
        }
        let _ = socket.close().await;
    })
}

/// Small buffers: client frames are small commands, and an idle viewer
/// should cost kilobytes, not the 128 KiB defaults.
fn small_buffers(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

async fn connection(socket: WebSocket, state: AppState, reader: Reader) {
    let (sink, mut stream) = socket.split();
    let (out, queued) = Out::new();
    let writer = tokio::spawn(outgoing::write(sink, queued));
    let behind = out.behind();
    let mut watcher = match &reader {
        Reader::Person(caller) => {
            tokio::spawn(watch_person(state.clone(), caller.clone(), out.clone()))
        }
        Reader::Link(link) => tokio::spawn(watch_link(state.clone(), link.clone(), out.clone())),
    };
    let mut subscriptions: HashMap<SessionId, JoinHandle<()>> = HashMap::new();
    let shutdown = state.sessions.context().shutdown.clone();

    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            // A share link that dies, or a login that ends, takes its
            // socket with it.
            _ = &mut watcher => break,
            // Tandem is stopping: the page reconnects once it is back.
            _ = shutdown.begun() => break,
            // Too far behind to keep up: told so, and closed; the page
            // reconnects and resumes by seq.
            _ = behind.notified() => {
                let why = error(
                    ErrorCode::TooFarBehind,
                    "this connection fell too far behind and is closed; reconnect and resume after the last seq you have",
                    None,
                );
                out.last_words(&why, 1013, "too far behind");
                break;
            }
        };
        let Some(frame) = frame else { break };
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) => break,
            // A frame over the limit (or a broken one): the client is told
            // why before the socket closes, with 1009 for the size.
            Err(err) => {
                let text = err.to_string();
                let too_big = text.contains("too long") || text.contains("limit");
                let why = if too_big {
                    format!("the frame is larger than {MAX_CLIENT_FRAME} bytes, the most a client may send")
                } else {
                    format!("the frame could not be read: {text}")
                };
                let (code, reason) = if too_big {
                    (1009, "frame too large")
                } else {
                    (1002, "unreadable frame")
                };
                out.last_words(&error(ErrorCode::BadFrame, &why, None), code, reason);
                break;
            }
            Ok(Message::Ping(_)) | Ok(Message::Pong(_)) => continue,
            Ok(Message::Binary(_)) => {
                let _ = out
                    .send(error(
                        ErrorCode::BadFrame,
                        "binary frames are not understood",
                        None,
                    ))
                    .await;
                continue;
            }
        };
        // The same text rules as request bodies: no NUL reaches a lookup.
        if let Some(why) = serde_json::from_str::<serde_json::Value>(text.as_str())
            .ok()
            .and_then(|value| crate::text::check(&value).err())
        {
            let _ = out.send(error(ErrorCode::BadFrame, &why, None)).await;
            continue;
        }
        let message = match ClientMessage::decode(text.as_str()) {
            Ok(message) => message,
            Err(err) => {
                let _ = out
                    .send(error(
                        ErrorCode::BadFrame,
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
            ClientMessage::Subscribe {
                session_id,
                after,
                newest_first,
            } => {
                subscriptions.retain(|_, task| !task.is_finished());
                if !subscriptions.contains_key(&session_id)
                    && subscriptions.len() >= MAX_SUBSCRIPTIONS
                {
                    let _ = out
                        .send(error(
                            ErrorCode::TooManySubscriptions,
                            "unsubscribe from a session first",
                            Some(session_id),
                        ))
                        .await;
                    continue;
                }
                let assistant = match state.store.get_session(&session_id).await {
                    Ok(Some(record)) => Some(record.summary.assistant_id),
                    Ok(None) => None,
                    Err(err) => {
                        tracing::error!(%err, "store error on subscribe");
                        let _ = out
                            .send(error(
                                ErrorCode::Internal,
                                "could not read the session",
                                Some(session_id),
                            ))
                            .await;
                        continue;
                    }
                };
                let visible = match &assistant {
                    Some(assistant) => reader.may_see(&state, &session_id, assistant).await,
                    None => false,
                };
                match assistant {
                    Some(assistant) if visible => {
                        if let Some(task) = subscriptions.remove(&session_id) {
                            task.abort();
                        }
                        let task = tokio::spawn(subscription(
                            state.clone(),
                            reader.clone(),
                            assistant,
                            session_id.clone(),
                            Start {
                                after,
                                newest_first,
                            },
                            out.clone(),
                        ));
                        subscriptions.insert(session_id, task);
                    }
                    // Unknown and not visible read the same: no existence leak.
                    _ => {
                        let _ = out
                            .send(error(
                                ErrorCode::NotFound,
                                "no session with that id",
                                Some(session_id),
                            ))
                            .await;
                    }
                }
            }
        }
    }
    for (_, task) in subscriptions {
        task.abort();
    }
    watcher.abort();
    drop(out);
    let _ = writer.await;
}

fn error(code: ErrorCode, message: &str, session_id: Option<SessionId>) -> ServerMessage {
    ServerMessage::Error {
        code,
        message: message.to_owned(),
        session_id,
    }
}
