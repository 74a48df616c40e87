//! A person stepping into a running session: pause and resume, interrupt
//! and send, and follow-ups that survive a crash of the server.

use crate::support::{TestServer, Viewer, ADMIN};
use serde_json::json;
use std::time::Duration;
use tandem_shared::{DecisionOutcome, EventBody, Seq, SessionStatus};

fn status_reasons(viewer: &Viewer) -> Vec<(SessionStatus, String)> {
    viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::StatusChange {
                status,
                reason: Some(reason),
            } => Some((*status, reason.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn pause_freezes_the_agent_until_resume() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "pausable",
            json!({"turns": [[
                {"do": "message", "text": "one "},
                {"do": "sleep", "ms": 800},
                {"do": "message", "text": "two"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "count").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the first message", |v| v.agent_text().contains("one"))
        .await;
    let (status, body) = server
        .post(&format!("/api/sessions/{}/resume", session.id), json!({}))
        .await;
    assert_eq!(status, 409, "a running session is not paused: {body}");
    let pause = format!("/api/sessions/{}/pause", session.id);
    let (status, body) = server.post(&pause, json!({})).await;
    assert_eq!(status, 204, "{body}");
    viewer.until_status(SessionStatus::Paused).await;
    let (status, _) = server.post(&pause, json!({})).await;
    assert_eq!(status, 409, "already paused");
    // Longer than the hang watchdog (3 s in tests): a paused session is
    // not hung, and the frozen agent says nothing.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(now["status"], "paused");
    let before = viewer.events.len();
    let (status, body) = server
        .post(&format!("/api/sessions/{}/resume", session.id), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(
        !viewer.events[..before]
            .iter()
            .any(|e| matches!(&e.body, EventBody::AgentMessageChunk { text } if text == "two")),
        "nothing ran while paused"
    );
    assert!(viewer.agent_text().contains("two"));
    let reasons = status_reasons(&viewer);
    assert!(
        reasons.contains(&(SessionStatus::Paused, format!("paused by {ADMIN}"))),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(SessionStatus::Running, format!("resumed by {ADMIN}"))),
        "{reasons:?}"
    );
    let (status, _) = server.post(&pause, json!({})).await;
    assert_eq!(status, 409, "an ended session cannot be paused");
}

#[tokio::test]
async fn a_paused_session_can_still_be_stopped() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "frozen",
            json!({"turns": [[
                {"do": "message", "text": "working"},
                {"do": "wait_for_cancel"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("work", |v| v.agent_text().contains("working"))
        .await;
    server
        .post(&format!("/api/sessions/{}/pause", session.id), json!({}))
        .await;
    viewer.until_status(SessionStatus::Paused).await;
    let (status, _) = server
        .post(&format!("/api/sessions/{}/stop", session.id), json!({}))
        .await;
    assert_eq!(status, 202);
    assert_eq!(viewer.until_ended().await, SessionStatus::Stopped);
    let reasons = status_reasons(&viewer);
    assert!(
        reasons.contains(&(SessionStatus::Stopped, format!("stopped by {ADMIN}"))),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn interrupt_and_send_cancels_the_turn_and_delivers_first() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "interruptible",
            json!({"turns": [
                [
                    {"do": "message", "text": "long job"},
                    {"do": "permission", "id": "p1", "title": "Risky", "kind": "execute"},
                    {"do": "wait_for_cancel"}
                ],
                [{"do": "echo_prompt"}]
            ]}),
        )
        .await;
    let session = server.start_session(&assistant, "start").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let messages = format!("/api/sessions/{}/messages", session.id);
    let (status, body) = server
        .post(
            &messages,
            json!({"text": "later, please", "interrupt": false}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["delivery"], "queued");
    let (status, body) = server
        .post(
            &messages,
            json!({"text": "stop that, do this", "interrupt": true}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the interrupting message echoed", |v| {
            v.agent_text().contains("stop that, do this")
        })
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let reasons = status_reasons(&viewer);
    assert!(
        reasons.contains(&(
            SessionStatus::Running,
            format!("turn interrupted by {ADMIN}")
        )),
        "{reasons:?}"
    );
    let cancelled = viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::PermissionDecision { approval_id, outcome: DecisionOutcome::Cancelled { reason }, .. }
            if approval_id.0 == approval && reason.contains("interrupted")));
    assert!(cancelled, "the pending approval is cancelled, saying why");
    // The interrupting message went in before the one queued earlier.
    let order: Vec<&str> = viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::UserMessage { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["start", "stop that, do this", "later, please"]);
}

#[tokio::test]
async fn queued_follow_ups_survive_a_crash_and_go_first_on_resume() {
    let mut server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "durable",
            json!({"turns": [[{"do": "message", "text": "busy"}, {"do": "wait_for_cancel"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("work", |v| v.agent_text().contains("busy"))
        .await;
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "do not lose me"}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["delivery"], "queued");
    server.kill().await;

    // The next run of this assistant's agent answers every prompt.
    let scenario = server.fixtures_dir().join("durable.json");
    std::fs::write(
        &scenario,
        json!({"turns": [[{"do": "echo_prompt"}]]}).to_string(),
    )
    .unwrap();
    let server = TestServer::launch()
        .in_dir(&server.data_dir.clone())
        .start()
        .await;
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(now["status"], "interrupted");
    let (status, body) = server
        .post(&format!("/api/sessions/{}/resume", session.id), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["delivery"], "resumed");
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the resumed run to end", |v| {
            v.events.iter().any(|e| {
                matches!(
                    &e.body,
                    EventBody::StatusChange {
                        status: SessionStatus::Completed,
                        ..
                    }
                )
            })
        })
        .await;
    viewer.assert_contiguous();
    let order: Vec<&str> = viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::UserMessage { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        vec![
            "first",
            "do not lose me",
            "Please carry on where you left off."
        ]
    );
    assert!(viewer.agent_text().contains("do not lose me"));
}

#[tokio::test]
async fn an_approval_the_agent_withdraws_is_cancelled_for_everyone() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "fickle",
            json!({"turns": [[
                {"do": "withdrawn_permission", "id": "p1", "title": "Maybe", "after_ms": 700},
                {"do": "message", "text": " and done"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer
        .until("the first count", |v| v.pending_approvals.is_some())
        .await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = viewer.until_approval().await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let withdrawn = viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::PermissionDecision { approval_id, outcome: DecisionOutcome::Cancelled { reason }, .. }
            if approval_id.0 == approval && reason.contains("withdrew")));
    assert!(withdrawn, "the card says the agent withdrew it");
    assert!(
        viewer.agent_text().contains("code -32800"),
        "{}",
        viewer.agent_text()
    );
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    let (_, pending) = server.get("/api/approvals").await;
    assert!(pending.as_array().unwrap().is_empty());
    viewer
        .until("the badge back at zero", |v| v.pending_approvals == Some(0))
        .await;
}
