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

use super::auth::Caller;
use super::AppState;
use crate::hub::EventBatch;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, HashSet};
use tandem_shared::auth::ShareLink;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{AssistantId, Seq, SessionId, TranscriptEvent};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// Largest frame a client may send; client frames are small commands.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
const OUTGOING_QUEUE: usize = 256;
const REPLAY_PAGE: i64 = 2000;
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
            Reader::Person(caller) => super::access::can_see(state, caller, assistant).await,
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

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    caller: Caller,
) -> Response {
    accept(ws, state, Reader::Person(caller))
}

pub fn accept(ws: WebSocketUpgrade, state: AppState, reader: Reader) -> Response {
    // Small buffers: client frames are small commands, and an idle viewer
    // should cost kilobytes, not the 128 KiB defaults.
    ws.max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(socket, state, reader))
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

async fn connection(socket: WebSocket, state: AppState, reader: Reader) {
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
    let watcher = match &reader {
        Reader::Person(caller) => {
            tokio::spawn(watch_person(state.clone(), caller.clone(), out.clone()))
        }
        Reader::Link(link) => tokio::spawn(watch_link(state.clone(), link.clone(), out.clone())),
    };
    let mut subscriptions: HashMap<SessionId, JoinHandle<()>> = HashMap::new();

    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            // A share link that dies takes its socket with it.
            _ = watcher_done(&watcher, &reader) => break,
        };
        let Some(frame) = frame else { break };
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
        let message = match ClientMessage::decode(text.as_str()) {
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
                let assistant = match state.store.get_session(&session_id).await {
                    Ok(Some(record)) => Some(record.summary.assistant_id),
                    Ok(None) => None,
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
                            after,
                            out.clone(),
                        ));
                        subscriptions.insert(session_id, task);
                    }
                    // Unknown and not visible read the same: no existence leak.
                    _ => {
                        let _ = out
                            .send(error(
                                "not_found",
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

fn error(code: &str, message: &str, session_id: Option<SessionId>) -> ServerMessage {
    ServerMessage::Error {
        code: code.to_owned(),
        message: message.to_owned(),
        session_id,
    }
}

/// Resolves when a share link's watcher has ended (its link died); never
/// for a person.
async fn watcher_done(watcher: &JoinHandle<()>, reader: &Reader) {
    if matches!(reader, Reader::Link(_)) {
        while !watcher.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    } else {
        std::future::pending::<()>().await
    }
}

/// The assistants a person sees; `None` for everything (an admin).
async fn visible_assistants(state: &AppState, caller: &Caller) -> Option<HashSet<AssistantId>> {
    if caller.user.admin {
        return None;
    }
    match state.store.member_of(&caller.user.id).await {
        Ok(ids) => Some(ids.into_iter().collect()),
        Err(err) => {
            tracing::error!(%err, "store error reading membership");
            Some(HashSet::new())
        }
    }
}

/// A person's socket: sidebar updates of the sessions they may see, and
/// their pending-approvals count whenever it changes.
async fn watch_person(state: AppState, caller: Caller, out: Out) {
    let mut sidebar = state.hub.subscribe_sidebar();
    let mut access = state.hub.watch_access();
    let mut approvals = state.hub.watch_approvals();
    let mut visible = visible_assistants(&state, &caller).await;
    let mut count: Option<i64> = None;
    loop {
        match state.store.pending_approval_count(caller.scope()).await {
            Ok(now) if count != Some(now) => {
                count = Some(now);
                let count = u32::try_from(now).unwrap_or(u32::MAX);
                if out
                    .send(ServerMessage::PendingApprovals { count })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(_) => {}
            Err(err) => tracing::error!(%err, "store error counting approvals"),
        }
        loop {
            tokio::select! {
                update = sidebar.recv() => match update {
                    Ok(session) => {
                        let shown = visible.as_ref().is_none_or(|ids| ids.contains(&session.assistant_id));
                        if shown && out.send(ServerMessage::Session { session }).await.is_err() {
                            return;
                        }
                    }
                    // Sidebar entries are whole states: a missed one is
                    // superseded by the next for that session.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                changed = access.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    visible = visible_assistants(&state, &caller).await;
                    break;
                }
                changed = approvals.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// A share link's socket lives while its link does: until it is revoked
/// (access changes) or its expiry passes.
async fn watch_link(state: AppState, link: ShareLink, out: Out) {
    let mut access = state.hub.watch_access();
    loop {
        let now = state.now_ms();
        if !state
            .store
            .share_link_live(&link.id, now)
            .await
            .unwrap_or(false)
        {
            let _ = out
                .send(error(
                    "link_revoked",
                    "this share link has been revoked or has expired",
                    Some(link.session_id.clone()),
                ))
                .await;
            return;
        }
        let until_expiry = link
            .expires_at
            .map(|at| std::time::Duration::from_millis(u64::try_from(at - now).unwrap_or(0)));
        tokio::select! {
            changed = access.changed() => if changed.is_err() { return },
            _ = sleep_or_forever(until_expiry) => {}
        }
    }
}

async fn sleep_or_forever(duration: Option<std::time::Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// Streams one session to one socket, while its reader may see it.
async fn subscription(
    state: AppState,
    reader: Reader,
    assistant: AssistantId,
    session_id: SessionId,
    after: Seq,
    out: Out,
) {
    let store = &state.store;
    // Subscribe first: an event stored while we read is then in the channel.
    let mut live = state.hub.subscribe(&session_id);
    let mut access = state.hub.watch_access();
    let mut last = after;
    if replay(store, &session_id, &mut last, &out).await.is_err() {
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
        let received = tokio::select! {
            received = live.recv() => received,
            changed = access.changed() => {
                if changed.is_err() || !reader.may_see(&state, &session_id, &assistant).await {
                    let _ = out
                        .send(error("not_found", "no session with that id", Some(session_id)))
                        .await;
                    return;
                }
                continue;
            }
        };
        match received {
            Ok(batch) => {
                let starts_after_gap = batch
                    .events
                    .iter()
                    .find(|event| event.seq > last)
                    .is_some_and(|event| event.seq > last.next());
                if starts_after_gap {
                    // Should not happen; the store has whatever is missing.
                    if replay(store, &session_id, &mut last, &out).await.is_err() {
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
                if replay(store, &session_id, &mut last, &out).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Sends every stored event after `last`, moving `last` along.
async fn replay(
    store: &crate::store::Store,
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
