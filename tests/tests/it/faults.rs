//! Agents that misbehave hurt only their own session, within a bounded
//! time, with bounded memory.

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
