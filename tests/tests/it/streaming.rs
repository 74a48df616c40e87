//! The WebSocket: replay then live tail with no gap and no duplicate,
//! resubscribing from a `seq`, many sessions on one socket, sidebar
//! updates, and bad frames that leave the socket open.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use tandem_shared::api::ErrorCode;
use tandem_shared::ws::ClientMessage;
use tandem_shared::{Seq, SessionId, SessionStatus};
use tokio_tungstenite::tungstenite::Message;

fn streaming_scenario(count: u64) -> serde_json::Value {
    json!({"turns": [[{"do": "stream", "count": count, "interval_ms": 2}]]})
}

#[tokio::test]
async fn a_late_viewer_gets_replay_then_live_tail_without_gap_or_duplicate() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("stream", streaming_scenario(300))
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut early = Viewer::connect(&server).await;
    early.subscribe(&session.id, Seq::ZERO).await;
    early.until("some events", |v| v.events.len() > 20).await;
    // Joins mid-stream: part replay, part live.
    let mut late = Viewer::connect(&server).await;
    late.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(early.until_ended().await, SessionStatus::Completed);
    assert_eq!(late.until_ended().await, SessionStatus::Completed);
    early.assert_contiguous();
    late.assert_contiguous();
    assert_eq!(early.events, late.events);
    assert_eq!(server.all_events(&session.id).await, late.events);
}

#[tokio::test]
async fn a_reconnecting_viewer_resumes_from_its_last_seq() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("resume", streaming_scenario(200))
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut first = Viewer::connect(&server).await;
    first.subscribe(&session.id, Seq::ZERO).await;
    first.until("a few events", |v| v.events.len() >= 10).await;
    let held = first.events.clone();
    drop(first);
    let mut again = Viewer::connect(&server).await;
    let last = held.last().map(|e| e.seq).unwrap_or(Seq::ZERO);
    again.subscribe(&session.id, last).await;
    again.until_ended().await;
    assert_eq!(again.events.first().map(|e| e.seq), Some(last.next()));
    let mut all = held;
    all.extend(again.events.clone());
    for (i, event) in all.iter().enumerate() {
        assert_eq!(event.seq, Seq(i as u64 + 1));
    }
}

/// A reader opening a long session sees its end first: the newest events
/// come as a `tail` before the replay from the start, which still brings
/// every event once, in order; a short session, or a subscription from a
/// later `seq`, gets no tail.
#[tokio::test]
async fn newest_first_sends_the_end_of_a_long_session_before_its_replay() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "long",
            json!({"turns": [[{"do": "entries", "count": 3000}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut watcher = Viewer::connect(&server).await;
    watcher.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(watcher.until_ended().await, SessionStatus::Completed);
    let all = server.all_events(&session.id).await;
    let newest = all.last().map(|e| e.seq).unwrap_or(Seq::ZERO);

    let mut reader = Viewer::connect(&server).await;
    reader.subscribe_newest_first(&session.id).await;
    reader
        .until("caught up", |v| v.caught_up == Some(newest))
        .await;
    assert_eq!(reader.tails.len(), 1, "one tail");
    let (events_before, tail) = &reader.tails[0];
    assert_eq!(*events_before, 0, "the tail comes before the replay");
    assert_eq!(
        tail.last().map(|e| e.seq),
        Some(newest),
        "it ends at the end"
    );
    assert!(tail.len() > 10, "a screenful at least: {}", tail.len());
    assert!(tail.len() < all.len() / 2, "only the end: {}", tail.len());
    assert_eq!(
        tail[..],
        all[all.len() - tail.len()..],
        "the newest, in order"
    );
    let bytes: usize = tail
        .iter()
        .map(|e| serde_json::to_string(&e.body).map(|b| b.len()).unwrap_or(0))
        .sum();
    assert!(bytes <= 40 * 1024, "a small page: {bytes} bytes");
    assert_eq!(reader.events, all, "the replay is whole, once, in order");

    // From a later seq: the replay alone.
    let mut resumed = Viewer::connect(&server).await;
    resumed
        .send(&ClientMessage::Subscribe {
            session_id: session.id.clone(),
            after: Seq(10),
            newest_first: true,
        })
        .await;
    resumed
        .until("caught up", |v| v.caught_up == Some(newest))
        .await;
    assert!(resumed.tails.is_empty());
    assert_eq!(resumed.events[..], all[10..]);

    // A short session's replay is its tail already.
    let short = server
        .scripted_assistant("short", streaming_scenario(5))
        .await;
    let short = server.start_session(&short, "go").await;
    let mut early = Viewer::connect(&server).await;
    early.subscribe(&short.id, Seq::ZERO).await;
    early.until_ended().await;
    let mut reader = Viewer::connect(&server).await;
    reader.subscribe_newest_first(&short.id).await;
    reader.until_ended().await;
    assert!(reader.tails.is_empty(), "no tail for a short session");
    assert_eq!(reader.events, early.events);
}

#[tokio::test]
async fn one_socket_carries_many_sessions_and_sidebar_updates() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("many", streaming_scenario(20))
        .await;
    let mut viewer = Viewer::connect(&server).await;
    let mut sessions = Vec::new();
    for i in 0..3 {
        sessions.push(server.start_session(&assistant, &format!("run {i}")).await);
    }
    for session in &sessions {
        viewer.subscribe(&session.id, Seq::ZERO).await;
    }
    viewer
        .until("three completions", |v| {
            v.events
                .iter()
                .filter(|e| {
                    matches!(
                        e.body,
                        tandem_shared::EventBody::StatusChange {
                            status: SessionStatus::Completed,
                            ..
                        }
                    )
                })
                .count()
                == 3
        })
        .await;
    for session in &sessions {
        let mine: Vec<_> = viewer
            .events
            .iter()
            .filter(|e| e.session_id == session.id)
            .collect();
        for (i, event) in mine.iter().enumerate() {
            assert_eq!(event.seq, Seq(i as u64 + 1), "session {}", session.id);
        }
    }
    viewer
        .until("sidebar completions", |v| {
            sessions.iter().all(|s| {
                v.sidebar
                    .iter()
                    .any(|u| u.id == s.id && u.status == SessionStatus::Completed)
            })
        })
        .await;
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_socket_stays_open() {
    let server = TestServer::start().await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.send_raw(Message::Text("not json".into())).await;
    viewer
        .send_raw(Message::Text(r#"{"type":"dance"}"#.into()))
        .await;
    viewer.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    viewer
        .subscribe(&SessionId("ses_missing".into()), Seq::ZERO)
        .await;
    viewer.until("four errors", |v| v.errors.len() == 4).await;
    let codes: Vec<ErrorCode> = viewer.errors.iter().map(|(code, _)| *code).collect();
    assert_eq!(
        codes,
        vec![
            ErrorCode::BadFrame,
            ErrorCode::BadFrame,
            ErrorCode::BadFrame,
            ErrorCode::NotFound
        ]
    );
    // Still open and answering.
    viewer.send(&ClientMessage::Ping { nonce: 7 }).await;
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, "true").await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the first event", |v| !v.events.is_empty())
        .await;
}

#[tokio::test]
async fn an_oversized_frame_is_refused() {
    let server = TestServer::start().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(crate::support::ws_request(
        &server.ws_url(),
        &server.token,
    ))
    .await
    .unwrap();
    use futures_util::{SinkExt, StreamExt};
    let huge = "x".repeat(1024 * 1024);
    let _ = socket.send(Message::Text(huge.into())).await;
    // The server says why, closes this socket with 1009, and goes on.
    let (said, code) = tokio::time::timeout(crate::support::DEADLINE, async {
        let mut said = Vec::new();
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => said.push(text.to_string()),
                Some(Ok(Message::Close(frame))) => return (said, frame.map(|f| u16::from(f.code))),
                None | Some(Err(_)) => return (said, None),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the socket closes");
    assert!(
        said.iter()
            .any(|s| s.contains("bad_frame") && s.contains("larger than 65536 bytes")),
        "{said:?}"
    );
    assert_eq!(code, Some(1009));
    let (status, _) = server.get("/api/health").await;
    assert_eq!(status, 200);
}

/// Viewers that subscribe from the start of a large transcript and never
/// read cost the server a bounded amount each: the replay is read from the
/// store only as each socket drains, a page of at most 64 KiB at a time,
/// and each socket holds at most 128 KiB of messages waiting.
#[tokio::test]
async fn viewers_that_never_read_hold_bounded_memory() {
    use futures_util::SinkExt;
    let server = TestServer::start().await;
    // 200 messages of 50 KB: a 10 MB transcript.
    let big = "y".repeat(50_000);
    let steps: Vec<serde_json::Value> = (0..200)
        .map(|n| json!({"do": "message", "text": format!("{n}:{big}")}))
        .collect();
    let assistant = server
        .scripted_assistant("large", json!({"turns": [steps]}))
        .await;
    let session = server.start_session(&assistant, "talk a lot").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    drop(viewer);
    let baseline = server.rss_mb();

    const VIEWERS: usize = 40;
    let mut sockets = Vec::new();
    for _ in 0..VIEWERS {
        let (mut socket, _) = tokio_tungstenite::connect_async(crate::support::ws_request(
            &server.ws_url(),
            &server.token,
        ))
        .await
        .expect("connect");
        let subscribe = serde_json::to_string(&tandem_shared::ws::ClientMessage::Subscribe {
            session_id: session.id.clone(),
            after: Seq::ZERO,
            newest_first: false,
        })
        .expect("json");
        socket
            .send(Message::Text(subscribe.into()))
            .await
            .expect("subscribe");
        sockets.push(socket);
    }
    // Let the replays run into their budgets and the sockets' buffers.
    let mut peak = baseline;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        peak = peak.max(server.rss_mb());
    }
    let grown = peak - baseline;
    println!("{VIEWERS} viewers never reading a 10 MB transcript: +{grown:.1} MB (baseline {baseline:.1} MB)");
    // Whole transcripts queued per viewer would be 40 × 10 MB.
    assert!(
        grown < VIEWERS as f64,
        "{VIEWERS} idle viewers grew the server by {grown:.1} MB"
    );
    drop(sockets);
    let (status, _) = server.get("/api/health").await;
    assert_eq!(status, 200);
    // And it is given back once they leave (the server trims every 5 s).
    let mut now = server.rss_mb();
    for _ in 0..150 {
        if now < baseline + 10.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        now = server.rss_mb();
    }
    assert!(
        now < baseline + 10.0,
        "{now:.1} MB after the viewers left, from {baseline:.1} MB"
    );
}
