//! How sessions end when their actor or the server does: an actor that
//! panics fails its own session with the reason and leaves it resumable;
//! SIGTERM ends every agent, records live sessions `interrupted` and exits 0;
//! kill -9 leaves no agent process behind once the server is back.

use crate::support::{
    processes_in_group, processes_mentioning, until_no_process_mentions, TestServer, Viewer,
    DEADLINE,
};
use serde_json::json;
use std::time::{Duration, Instant};
use tandem_shared::{EventBody, Seq, SessionStatus};

/// Runs of the agent: each opens (or resumes) the agent's session once.
fn runs(viewer: &Viewer) -> usize {
    viewer
        .events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Continuity { .. }))
        .count()
}

/// The watchdog counts the agent's silence, not Tandem's own slowness: an
/// actor held up longer than the hang timeout (3 s in tests) by a slow
/// store, while the agent keeps talking, finishes the turn.
#[tokio::test]
async fn an_actor_held_up_longer_than_the_hang_timeout_does_not_call_a_talking_agent_hung() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "talker",
            json!({"turns": [[
                {"do": "message", "text": "one. "},
                {"do": "notify", "method": "_tandem/test/stall", "params": {"ms": 4500}},
                // More than one batch waits when the actor is back.
                {"do": "stream", "count": 2000, "interval_ms": 0},
                {"do": "message", "text": "three."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "talk").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(
        viewer.until_ended().await,
        SessionStatus::Completed,
        "{}",
        viewer.error_text()
    );
    let text = viewer.agent_text();
    assert!(
        text.starts_with("one. chunk 0 ") && text.ends_with("chunk 1999 three."),
        "{text}"
    );
    assert!(viewer.error_text().is_empty(), "{}", viewer.error_text());
}

#[tokio::test]
async fn an_actor_that_panics_fails_its_session_and_the_next_message_resumes_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "fragile",
            json!({"turns": [[
                {"do": "message", "text": "working. "},
                {"do": "first_time", "marker": "panic", "steps": [
                    {"do": "notify", "method": "_tandem/test/panic"},
                    {"do": "sleep", "ms": 60000}
                ]},
                {"do": "echo_prompt"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "begin").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    let reason = now["status_reason"].as_str().unwrap_or_default().to_owned();
    assert!(
        reason.contains("internal error in Tandem") && reason.contains("test hook"),
        "{now}"
    );
    assert!(viewer.error_text().contains("internal error in Tandem"));
    assert!(
        viewer
            .events
            .iter()
            .any(|e| matches!(&e.body, EventBody::Summary { text } if text.starts_with("Failed: internal error"))),
        "a summary says what failed"
    );
    // The agent of the dead actor went with it (it was sleeping for a minute).
    until_no_process_mentions(&server.scenario_path("fragile")).await;
    // The failure was reported like any other: the summary is in the chat.
    crate::support::until_json(
        &server,
        &format!("/api/assistants/{}/chat", assistant.id),
        "the failure summary in the chat",
        |chat| chat.to_string().contains("internal error in Tandem"),
    )
    .await;

    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "again"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["delivery"], "resumed", "{body}");
    viewer
        .until("the resumed run's answer", |v| {
            v.agent_text().contains("You said: again")
        })
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(runs(&viewer), 2, "one run that died, one that completed");
    viewer.assert_contiguous();
}

#[tokio::test]
async fn sigterm_ends_every_agent_records_sessions_interrupted_and_exits_0() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::launch().in_dir(tmp.path()).start().await;
    // One works and ends its turn when cancelled, one ignores the cancel,
    // one waits for a person's approval.
    let worker = server
        .scripted_assistant(
            "worker",
            json!({"turns": [[
                {"do": "first_time", "marker": "work", "steps": [
                    {"do": "message", "text": "working"},
                    {"do": "work_until_cancel", "interval_ms": 100}
                ], "otherwise": [{"do": "echo_prompt"}]}
            ]]}),
        )
        .await;
    let deaf = server
        .scripted_assistant(
            "deaf",
            json!({"turns": [[
                {"do": "message", "text": "not listening"},
                {"do": "sleep", "ms": 120000}
            ]]}),
        )
        .await;
    let asking = server
        .scripted_assistant(
            "asking",
            json!({"turns": [[
                {"do": "permission", "id": "call-1", "title": "Run it", "kind": "execute"}
            ]]}),
        )
        .await;
    let mut sessions = Vec::new();
    for (assistant, waits_for) in [
        (&worker, "working"),
        (&deaf, "not listening"),
        (&asking, ""),
    ] {
        let session = server.start_session(assistant, "go").await;
        let mut viewer = Viewer::connect(&server).await;
        viewer.subscribe(&session.id, Seq::ZERO).await;
        if waits_for.is_empty() {
            viewer.until_approval().await;
        } else {
            viewer
                .until("the agent at work", |v| v.agent_text().contains(waits_for))
                .await;
        }
        sessions.push(session);
    }
    assert_eq!(processes_mentioning(&server.scenario_path("deaf")).len(), 1);
    let fixtures = server.fixtures_dir();

    let asked = Instant::now();
    let status = server.terminate().await;
    assert!(status.success(), "tandem exited with {status}");
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "took {:?}",
        asked.elapsed()
    );
    until_no_process_mentions(&fixtures).await;

    let server = TestServer::launch().in_dir(tmp.path()).start().await;
    for session in &sessions {
        let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
        assert_eq!(now["status"], "interrupted", "{now}");
        assert_eq!(now["status_reason"], "Tandem was shut down", "{now}");
    }
    let (_, pending) = server.get("/api/approvals").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(0), "{pending}");
    // Resumable: a message continues the worker's session.
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", sessions[0].id),
            json!({"text": "carry on"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&sessions[0].id, Seq::ZERO).await;
    viewer
        .until("the resumed run's answer", |v| {
            v.agent_text().contains("You said: carry on")
        })
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    viewer.assert_contiguous();
}

#[tokio::test]
async fn after_kill_9_and_a_restart_no_agent_process_of_the_old_run_lives_on() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::launch().in_dir(tmp.path()).start().await;
    // An agent deaf to the end of its stdin, with a child in its group.
    let assistant = server
        .scripted_assistant(
            "lingering",
            json!({"ignore_stdin_eof": true, "turns": [[
                {"do": "spawn_child", "seconds": 300},
                {"do": "message", "text": "a child is running"},
                {"do": "sleep", "ms": 120000}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the agent and its child", |v| {
            v.agent_text().contains("a child is running")
        })
        .await;
    let url = format!(
        "sqlite://{}?mode=rw",
        tmp.path().join("tandem.db").display()
    );
    let recorded = tandem::store::Store::connect(&url)
        .await
        .expect("store")
        .agent_processes()
        .await
        .expect("recorded groups");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let pgid = recorded[0].pgid;
    assert!(
        processes_in_group(pgid).len() >= 2,
        "the agent and its child share a group"
    );

    server.kill().await;
    // The agent dies with the server; its child lives on in the group…
    until_no_process_mentions(&server.scenario_path("lingering")).await;
    // …until the next start ends the group the store remembers.
    let restarted = TestServer::launch().in_dir(tmp.path()).start().await;
    let started = Instant::now();
    while !processes_in_group(pgid).is_empty() {
        assert!(
            started.elapsed() < DEADLINE,
            "left alive: {:?}",
            processes_in_group(pgid)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, now) = restarted
        .get(&format!("/api/sessions/{}", session.id))
        .await;
    assert_eq!(now["status"], "interrupted", "{now}");
}
