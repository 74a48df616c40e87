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
    let server = TestServer::launch().in_dir(&data_dir).start().await;

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

#[tokio::test]
async fn a_full_disk_fails_the_write_with_a_clear_error_and_loses_nothing_saved() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Enough for the schema, the accounts and a short session; a flood of
    // agent output then meets the limit.
    let mut server = TestServer::launch()
        .in_dir(tmp.path())
        .file_size_limit(3 * 1024 * 1024)
        .start()
        .await;
    let quiet = server
        .scripted_assistant(
            "quiet",
            json!({"turns": [[{"do": "message", "text": "saved before the disk filled"}]]}),
        )
        .await;
    let flood = server
        .scripted_assistant(
            "flood",
            json!({"turns": [[{"do": "flood", "bytes": 40 * 1024 * 1024, "chunk": 1024}]]}),
        )
        .await;
    let saved = server.start_session(&quiet, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&saved.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let saved_events = viewer.events.clone();
    let mut acknowledged = Vec::new();
    for i in 0..3 {
        let (status, body) = server
            .post(
                &format!("/api/assistants/{}/journal", quiet.id),
                json!({ "text": format!("early {i} note") }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        acknowledged.push(format!("early {i} note"));
    }

    let flooding = server.start_session(&flood, "go").await;
    let mut watcher = Viewer::connect(&server).await;
    watcher.subscribe(&flooding.id, Seq::ZERO).await;
    let failed = |v: &Viewer| {
        v.sidebar
            .iter()
            .rev()
            .find(|s| s.id == flooding.id && s.status == SessionStatus::Failed)
            .cloned()
    };
    watcher
        .until("the flooding session to fail", |v| failed(v).is_some())
        .await;
    let summary = failed(&watcher).expect("failed summary");
    let reason = summary.status_reason.unwrap_or_default();
    assert!(
        reason.contains("storage error") && reason.contains("data"),
        "a clear reason: {reason}"
    );

    // Writes go on until the disk refuses one, with a clear 503; every
    // write acknowledged before that must survive.
    let mut refusal = None;
    for i in 0..400 {
        let text = format!("entry {i} {}", "x".repeat(19_000));
        let (status, body) = server
            .post(
                &format!("/api/assistants/{}/journal", quiet.id),
                json!({ "text": text }),
            )
            .await;
        match status {
            200 | 201 => acknowledged.push(format!("entry {i} ")),
            503 => {
                refusal = Some(body);
                break;
            }
            other => panic!("journal write: {other} {body}"),
        }
    }
    let refusal = refusal.expect("the full disk refuses a write");
    assert_eq!(refusal["error"]["code"], "storage", "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nothing already saved is lost"),
        "{message}"
    );
    let (status, _) = server.get(&format!("/api/sessions/{}", saved.id)).await;
    assert_eq!(status, 200);

    // With room again, everything anyone saw is there.
    server.kill().await;
    let server = TestServer::launch().in_dir(tmp.path()).start().await;
    assert_eq!(server.all_events(&saved.id).await, saved_events);
    let stored = server.all_events(&flooding.id).await;
    for (i, event) in stored.iter().enumerate() {
        assert_eq!(event.seq, Seq(i as u64 + 1), "no gap in the stored log");
    }
    for event in &watcher.events {
        assert_eq!(
            Some(event),
            stored.get(event.seq.0 as usize - 1),
            "every event shown was stored"
        );
    }
    let (_, journal) = server
        .get(&format!("/api/assistants/{}/journal", quiet.id))
        .await;
    let journal = journal.to_string();
    for entry in &acknowledged {
        assert!(
            journal.contains(entry.as_str()),
            "{entry} was acknowledged, so kept"
        );
    }
    let (_, now) = server.get(&format!("/api/sessions/{}", flooding.id)).await;
    assert!(
        now["status"] == "interrupted" || now["status"] == "failed",
        "{now}"
    );
}

#[tokio::test]
async fn kill_9_while_sessions_stream_to_viewers_loses_nothing_anyone_saw() {
    let mut server = TestServer::start().await;
    let streamer = server
        .scripted_assistant(
            "streamer",
            json!({"turns": [[{"do": "stream", "count": 100000, "interval_ms": 1}]]}),
        )
        .await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "message", "text": "may I?"},
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"}
            ]]}),
        )
        .await;
    let mut streaming = Vec::new();
    for _ in 0..4 {
        streaming.push(server.start_session(&streamer, "go").await);
    }
    let asking = server.start_session(&asker, "go").await;
    let mut approval_viewer = Viewer::connect(&server).await;
    approval_viewer.subscribe(&asking.id, Seq::ZERO).await;
    let (approval_id, _) = approval_viewer.until_approval().await;

    // 25 viewers per streaming session, each joined at its own point.
    let mut viewers = Vec::new();
    for (n, session) in streaming.iter().enumerate() {
        for v in 0..25u64 {
            let mut viewer = Viewer::connect(&server).await;
            viewer.subscribe(&session.id, Seq::ZERO).await;
            let wanted = 20 + v * 8;
            viewer
                .until("some events", |viewer| viewer.events.len() as u64 >= wanted)
                .await;
            viewers.push((n, viewer));
        }
    }
    let data_dir = server.data_dir.clone();
    server.kill().await;
    for (_, viewer) in viewers.iter_mut() {
        viewer.until_closed().await;
    }
    approval_viewer.until_closed().await;

    let server = TestServer::launch().in_dir(&data_dir).start().await;
    for (n, session) in streaming.iter().enumerate() {
        let stored = server.all_events(&session.id).await;
        for (i, event) in stored.iter().enumerate() {
            assert_eq!(event.seq, Seq(i as u64 + 1), "no seq skipped in the store");
        }
        for (_, viewer) in viewers.iter().filter(|(m, _)| *m == n) {
            viewer.assert_contiguous();
            assert!(!viewer.events.is_empty());
            for event in &viewer.events {
                assert_eq!(
                    Some(event),
                    stored.get(event.seq.0 as usize - 1),
                    "every event a viewer received is stored"
                );
            }
        }
        let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
        assert_eq!(now["status"], "interrupted", "{now}");
    }

    // The approval nobody answered is accounted for: expired, in the log,
    // and no longer pending for anyone.
    let (_, now) = server.get(&format!("/api/sessions/{}", asking.id)).await;
    assert_eq!(now["status"], "interrupted", "{now}");
    let (_, pending) = server.get("/api/approvals").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(0), "{pending}");
    let log = server.all_events(&asking.id).await;
    assert!(
        log.iter().any(|e| matches!(
            &e.body,
            tandem_shared::EventBody::PermissionDecision { approval_id: id, .. }
                if id.0 == approval_id
        )),
        "the expired approval is in the transcript"
    );
    let (status, _) = server
        .post(
            &format!("/api/approvals/{approval_id}/decision"),
            json!({"option_id": "allow"}),
        )
        .await;
    assert!(
        status == 404 || status == 409,
        "a late answer is refused: {status}"
    );

    // Interrupted sessions resume.
    let (status, body) = server
        .post(&format!("/api/sessions/{}/resume", asking.id), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    let mut watcher = Viewer::connect(&server).await;
    watcher.subscribe(&asking.id, Seq::ZERO).await;
    watcher
        .until("the resumed run", |v| {
            v.events.len() > log.len() && v.status().is_some_and(|s| s.is_live())
        })
        .await;
    watcher.assert_contiguous();
}
