//! Agents that misbehave hurt only their own session, within a bounded
//! time, with bounded memory; and many viewers reconnecting after a
//! restart each end with exactly the full log.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use std::time::{Duration, Instant};
use tandem_shared::{Seq, SessionStatus};

#[tokio::test]
async fn an_agent_that_ignores_cancel_is_stopped_within_the_grace() {
    let server = TestServer::start().await;
    let deaf = server
        .scripted_assistant(
            "deaf",
            json!({"turns": [[
                {"do": "message", "text": "not listening"},
                {"do": "sleep", "ms": 120000}
            ]]}),
        )
        .await;
    let calm = server
        .scripted_assistant(
            "calm",
            json!({"turns": [[{"do": "message", "text": "fine"}]]}),
        )
        .await;
    let session = server.start_session(&deaf, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the agent to start", |v| {
            v.agent_text().contains("not listening")
        })
        .await;
    let asked = Instant::now();
    let (status, _) = server
        .post(&format!("/api/sessions/{}/stop", session.id), json!({}))
        .await;
    assert_eq!(status, 202);
    assert_eq!(viewer.until_ended().await, SessionStatus::Stopped);
    // The test server's grace is 2 s; then SIGTERM, then SIGKILL.
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "stopped after {:?}",
        asked.elapsed()
    );
    let other = server.start_session(&calm, "go").await;
    let mut watcher = Viewer::connect(&server).await;
    watcher.subscribe(&other.id, Seq::ZERO).await;
    assert_eq!(watcher.until_ended().await, SessionStatus::Completed);
}

#[tokio::test]
async fn a_50_mb_flood_is_stored_whole_with_bounded_memory() {
    let server = TestServer::start().await;
    let flood = server
        .scripted_assistant(
            "flood",
            json!({"turns": [[{"do": "flood", "bytes": 50 * 1024 * 1024, "chunk": 64 * 1024}]]}),
        )
        .await;
    let session = server.start_session(&flood, "go").await;
    let mut peak = 0.0f64;
    let started = Instant::now();
    loop {
        peak = peak.max(server.rss_mb());
        let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
        if now["status"] == "completed" || now["status"] == "failed" {
            assert_eq!(now["status"], "completed", "{now}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the flood did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = server.all_events(&session.id).await;
    let text: usize = events
        .iter()
        .map(|e| match &e.body {
            tandem_shared::EventBody::AgentMessageChunk { text } => text.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(text, 50 * 1024 * 1024, "every byte stored");
    assert!(peak < 400.0, "server RSS peaked at {peak:.0} MB");
    println!("50 MB flood: server RSS peak {peak:.0} MB");
}

#[tokio::test]
async fn a_thousand_viewers_reconnect_at_once_after_a_restart_each_from_its_own_seq() {
    raise_open_file_limit();
    let mut server = TestServer::start().await;
    let talker = server
        .scripted_assistant(
            "talker",
            json!({"turns": [[{"do": "stream", "count": 300, "interval_ms": 0}]]}),
        )
        .await;
    let session = server.start_session(&talker, "go").await;
    let mut first = Viewer::connect(&server).await;
    first.subscribe(&session.id, Seq::ZERO).await;
    first.until_ended().await;
    let full = server.all_events(&session.id).await;
    let total = full.len() as u64;
    assert!(total > 300);
    let data_dir = server.data_dir.clone();
    server.kill().await;
    let server = TestServer::start_in(&data_dir, None).await;

    // Viewer i held the first i % (total + 1) events when the server died.
    let viewers = futures_util::future::join_all((0..1000u64).map(|i| {
        let server = &server;
        let session = session.id.clone();
        async move {
            let held = i % (total + 1);
            let mut viewer = Viewer::connect(server).await;
            viewer.subscribe(&session, Seq(held)).await;
            viewer
                .until("the rest of the log", |v| {
                    v.events.last().map(|e| e.seq.0).unwrap_or(held) >= total
                })
                .await;
            (held, viewer)
        }
    }))
    .await;
    for (held, viewer) in viewers {
        let seqs: Vec<u64> = viewer.events.iter().map(|e| e.seq.0).collect();
        let expected: Vec<u64> = (held + 1..=total).collect();
        assert_eq!(
            seqs, expected,
            "viewer holding {held}: no gap, no duplicate"
        );
        for event in &viewer.events {
            assert_eq!(event, &full[event.seq.0 as usize - 1]);
        }
    }
}

/// 1,000 sockets on each side need more than a common default of 1,024
/// open files: lift the soft limit to the hard one (the server, started
/// after, inherits it).
fn raise_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}
