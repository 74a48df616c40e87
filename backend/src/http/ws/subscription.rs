//! One subscription of a socket: subscribe to the hub first, then replay
//! the store after the client's `seq`, then forward the live tail, dropping
//! by `seq` what was already sent; a lagging subscription re-reads the
//! store. Nothing is skipped, nothing doubled.

use super::*;

/// Where a subscription starts: after which `seq`, and whether the
/// newest events go first (`ClientMessage::Subscribe`).
pub(super) struct Start {
    pub after: Seq,
    pub newest_first: bool,
}

/// Streams one session to one socket, while its reader may see it.
pub(super) async fn subscription(
    state: AppState,
    reader: Reader,
    assistant: AssistantId,
    session_id: SessionId,
    start: Start,
    out: Out,
) {
    let store = &state.store;
    // Subscribe first: an event stored while we read is then in the channel.
    let mut live = state.hub.subscribe(&session_id);
    let mut access = state.hub.watch_access();
    let mut last = start.after;
    if start.newest_first
        && start.after == Seq::ZERO
        && tail(store, &session_id, &out).await.is_err()
    {
        return;
    }
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
                        .send(error(ErrorCode::NotFound, "no session with that id", Some(session_id)))
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

/// Sends the session's newest events as a `Tail`, when it holds more
/// than them; a short session's replay is its tail already.
async fn tail(store: &crate::store::Store, session_id: &SessionId, out: &Out) -> Result<(), ()> {
    let (events, more_before) = match store
        .newest_events_within(session_id, TAIL_EVENTS, TAIL_BYTES)
        .await
    {
        Ok(read) => read,
        Err(err) => {
            // The replay that follows reads the same store and says so.
            tracing::error!(%err, "store error reading a tail");
            return Ok(());
        }
    };
    if !more_before || events.is_empty() {
        return Ok(());
    }
    out.send(ServerMessage::Tail {
        session_id: session_id.clone(),
        events,
    })
    .await
}

/// Sends every stored event after `last`, moving `last` along, in pages
/// of at most `REPLAY_BYTES` of events (`events_after_within`). How many
/// rows a page asks for follows what fitted last time, so PostgreSQL sends
/// few rows that are then dropped.
async fn replay(
    store: &crate::store::Store,
    session_id: &SessionId,
    last: &mut Seq,
    out: &Out,
) -> Result<(), ()> {
    let mut take: i64 = 16;
    loop {
        let read = store
            .events_after_within(session_id, *last, take, REPLAY_BYTES)
            .await;
        let (page, cut) = match read {
            Ok(read) => read,
            Err(err) => {
                tracing::error!(%err, "store error during replay");
                let _ = out
                    .send(error(
                        ErrorCode::Internal,
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
        take = if cut {
            (page.len() as i64 * 2).clamp(1, REPLAY_PAGE)
        } else {
            (take * 2).min(REPLAY_PAGE)
        };
        // Sent before the next page is read: the socket's budget paces
        // the reading.
        out.send(ServerMessage::Events {
            session_id: session_id.clone(),
            events: page,
        })
        .await?;
    }
}
