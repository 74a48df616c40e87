//! Real agent processes through the real server: the shell agent doing real
//! work, and the test agent playing every way an agent can behave or break.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use tandem_shared::{EventBody, Seq, SessionStatus, ToolStatus};

#[tokio::test]
async fn shell_agent_runs_an_allowed_command_in_the_workspace() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, "echo hello > hello.txt").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = viewer.until_approval().await;
    assert_eq!(options, vec!["allow-once", "allow-always", "reject"]);
    let (_, inbox) = server.get("/api/approvals").await;
    let inbox = inbox.as_array().expect("a list");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["approval_id"], approval.as_str());
    assert_eq!(inbox[0]["session_title"], "echo hello > hello.txt");
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "allow-once"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let (_, inbox) = server.get("/api/approvals").await;
    assert_eq!(
        inbox.as_array().map(Vec::len),
        Some(0),
        "decided approvals leave the inbox"
    );
    let written = std::fs::read_to_string(std::path::Path::new(&demo.workspace).join("hello.txt"))
        .expect("hello.txt in the workspace");
    assert_eq!(written, "hello\n");
    assert!(
        viewer.agent_text().contains("exited with status 0"),
        "{}",
        viewer.agent_text()
    );
    viewer.assert_contiguous();
    // A second answer changes nothing and says who decided.
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "reject"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("already decided"));
}

#[tokio::test]
async fn shell_agent_streams_output_and_a_denied_command_does_not_run() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let session = server
        .start_session(&demo, "echo first\ntouch denied.txt")
        .await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "allow-once"}),
        )
        .await;
    viewer
        .until("the second approval", |v| {
            v.pending_approval().is_some_and(|(id, _)| id != approval)
        })
        .await;
    let (second, _) = viewer.pending_approval().expect("second approval");
    let (status, _) = server
        .post(
            &format!("/api/approvals/{second}/decision"),
            json!({"option_id": "reject"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(!std::path::Path::new(&demo.workspace)
        .join("denied.txt")
        .exists());
    let output_streamed = viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::ToolCallUpdate(patch) if patch.appended.as_ref().is_some_and(|more| more.contains("first"))));
    assert!(output_streamed, "the command's output is in the transcript");
    let failed_call = viewer.events.iter().any(|e| {
        matches!(&e.body,
        EventBody::ToolCallUpdate(patch) if patch.status == Some(ToolStatus::Failed))
    });
    assert!(failed_call, "the rejected call is marked failed");
    assert!(viewer.agent_text().contains("was rejected"));
}

#[tokio::test]
async fn scripted_agent_events_become_the_transcript() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "scripted",
            json!({"turns": [[
                {"do": "thought", "text": "Let me look."},
                {"do": "plan", "entries": [["Read the code", "completed"], ["Fix it", "in_progress"]]},
                {"do": "tool_call", "id": "c1", "title": "Edit main.rs", "kind": "edit",
                 "diff": {"path": "main.rs", "old": "a", "new": "b"}},
                {"do": "write_file", "path": "out/notes.txt", "content": "written through fs"},
                {"do": "tool_update", "id": "c1", "status": "completed"},
                {"do": "title", "text": "Fixing main"},
                {"do": "message", "text": "Done."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "fix it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let kinds: Vec<&str> = viewer.events.iter().map(|e| e.body.kind()).collect();
    for kind in [
        "user_message",
        "agent_thought_chunk",
        "plan",
        "tool_call",
        "tool_call_update",
        "title_change",
        "agent_message_chunk",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let diff = viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::ToolCall(call) if call.content.iter().any(|c| matches!(c, tandem_shared::ToolContent::Diff { new_text, .. } if new_text == "b"))));
    assert!(diff);
    let notes =
        std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("out/notes.txt"))
            .expect("fs/write_text_file wrote the file");
    assert_eq!(notes, "written through fs");
    let (_, summary) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(summary["title"], "Fixing main");
    assert_eq!(summary["status"], "completed");
}

#[tokio::test]
async fn garbage_on_stdout_fails_only_that_session() {
    let server = TestServer::start().await;
    let broken = server
        .scripted_assistant(
            "garbage",
            json!({"turns": [[{"do": "garbage", "text": "this is not json"}]]}),
        )
        .await;
    let healthy = server
        .scripted_assistant(
            "healthy",
            json!({"turns": [[{"do": "stream", "count": 20, "interval_ms": 5}]]}),
        )
        .await;
    let bad = server.start_session(&broken, "go").await;
    let good = server.start_session(&healthy, "go").await;
    let mut bad_viewer = Viewer::connect(&server).await;
    bad_viewer.subscribe(&bad.id, Seq::ZERO).await;
    let mut good_viewer = Viewer::connect(&server).await;
    good_viewer.subscribe(&good.id, Seq::ZERO).await;
    assert_eq!(bad_viewer.until_ended().await, SessionStatus::Failed);
    assert!(
        bad_viewer.error_text().contains("broke the protocol"),
        "{}",
        bad_viewer.error_text()
    );
    assert!(bad_viewer.error_text().contains("this is not json"));
    assert_eq!(good_viewer.until_ended().await, SessionStatus::Completed);
    assert!(good_viewer.agent_text().contains("chunk 19"));
}

#[tokio::test]
async fn an_agent_that_exits_mid_turn_fails_its_session_with_the_reason() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "crash",
            json!({"turns": [[{"do": "message", "text": "working"}, {"do": "crash", "code": 3}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let errors = viewer.error_text();
    assert!(errors.contains("exited"), "{errors}");
    assert!(errors.contains("mid-turn"), "{errors}");
    assert!(viewer.agent_text().contains("working"));
}

#[tokio::test]
async fn an_agent_that_never_answers_initialize_times_out() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("hang", json!({"hang_on_initialize": true}))
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    // The prompt is on record, marked undelivered, and not retried: the
    // session has no live run, so a new message resumes it.
    assert!(viewer
        .events
        .iter()
        .any(|e| matches!(&e.body, EventBody::UserMessage { text, .. } if text == "go")));
    assert!(viewer.error_text().contains("not delivered"));
    let (_, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "again"}),
        )
        .await;
    assert_eq!(body["delivery"], "resumed", "a failed start must not loop");
    assert!(
        viewer
            .error_text()
            .contains("did not answer initialize within 3 s"),
        "{}",
        viewer.error_text()
    );
}

#[tokio::test]
async fn a_missing_agent_program_fails_with_a_clear_reason() {
    let server = TestServer::start().await;
    let dir = server.data_dir.join("ws-missing");
    std::fs::create_dir_all(&dir).unwrap();
    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "missing",
            "agent": {"kind": "custom", "command": "/nonexistent/agent"}, "workspace": dir, "persona": "p"}),
        )
        .await;
    assert_eq!(status, 201);
    let assistant: tandem_shared::api::Assistant = serde_json::from_value(body).unwrap();
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    assert!(
        viewer
            .error_text()
            .contains("could not start `/nonexistent/agent`"),
        "{}",
        viewer.error_text()
    );
}

#[tokio::test]
async fn a_follow_up_during_a_turn_is_queued_and_runs_after_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("follow", json!({"turns": [
            [{"do": "permission", "id": "p1", "title": "Run tests", "kind": "execute"}, {"do": "echo_prompt"}],
            [{"do": "echo_prompt"}]
        ]}))
        .await;
    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "second"}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["delivery"], "queued");
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let text = viewer.agent_text();
    let first = text.find("You said: first").expect("first turn");
    let second = text.find("You said: second").expect("second turn");
    assert!(first < second, "{text}");
    viewer.assert_contiguous();
}

#[tokio::test]
async fn stop_cancels_the_turn_and_pending_approvals() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "stop",
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                {"do": "wait_for_cancel"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "deploy").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let (status, _) = server
        .post(&format!("/api/sessions/{}/stop", session.id), json!({}))
        .await;
    assert_eq!(status, 202);
    assert_eq!(viewer.until_ended().await, SessionStatus::Stopped);
    let cancelled = viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::PermissionDecision { approval_id, outcome: tandem_shared::DecisionOutcome::Cancelled { .. }, .. } if approval_id.0 == approval));
    assert!(cancelled, "the pending approval is marked cancelled");
    let (status, _) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = server
        .post(&format!("/api/sessions/{}/stop", session.id), json!({}))
        .await;
    assert_eq!(status, 409, "an ended session cannot be stopped again");
}

#[tokio::test]
async fn a_message_into_an_ended_session_resumes_it_warm_when_the_agent_can_load() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "warm",
            json!({"load_session": true, "turns": [[{"do": "echo_prompt"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "one").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let ended_at = viewer.events.len();
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "two"}),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(body["delivery"], "resumed");
    viewer
        .until("the resumed run to end", |v| {
            v.events.len() > ended_at && v.status() == Some(SessionStatus::Completed)
        })
        .await;
    assert!(viewer.agent_text().contains("You said: two"));
    assert!(
        !viewer.agent_text().contains("(replayed history)"),
        "replays are not stored twice"
    );
    let log = std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("agent.log"))
        .unwrap();
    assert!(
        log.contains("\"session/load\""),
        "warm resume used session/load"
    );
    viewer.assert_contiguous();
}

#[tokio::test]
async fn a_failed_warm_resume_falls_back_to_a_cold_start() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "cold",
            json!({"load_session": true, "fail_load": "unknown session",
            "turns": [[{"do": "echo_prompt"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "one").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "two"}),
        )
        .await;
    viewer
        .until("the resumed run", |v| {
            v.agent_text().contains("You said: two")
        })
        .await;
    viewer.until_status(SessionStatus::Completed).await;
    let fell_back = viewer.events.iter().any(|e| {
        matches!(&e.body,
        EventBody::Continuity { mode: tandem_shared::StartMode::Cold, reason: Some(reason), .. }
            if reason.contains("warm resume failed") && reason.contains("unknown session"))
    });
    assert!(
        fell_back,
        "the transcript says the warm resume failed and why"
    );
}

#[tokio::test]
async fn kill_9_mid_session_loses_no_seen_event_and_interrupts_the_session() {
    let mut server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "long",
            json!({"turns": [[
                {"do": "stream", "count": 30, "interval_ms": 5},
                {"do": "permission", "id": "p1", "title": "Wait here", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "stream").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let seen = viewer.events.clone();
    server.kill().await;

    let restarted = TestServer::launch().in_dir(&server.data_dir).start().await;
    let stored = restarted.all_events(&session.id).await;
    for event in &seen {
        assert!(
            stored.contains(event),
            "seen event {} missing after restart",
            event.seq
        );
    }
    for (i, event) in stored.iter().enumerate() {
        assert_eq!(event.seq, Seq(i as u64 + 1));
    }
    let (_, summary) = restarted
        .get(&format!("/api/sessions/{}", session.id))
        .await;
    assert_eq!(summary["status"], "interrupted");
    let expired = stored.iter().any(|e| {
        matches!(&e.body,
        EventBody::PermissionDecision { approval_id, .. } if approval_id.0 == approval)
    });
    assert!(expired, "the pending approval is accounted for");
    let (status, _) = restarted
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(status, 409);
}

/// The bytes the store keeps for a tool call's output events.
fn stored_output_bytes(events: &[tandem_shared::TranscriptEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e.body, EventBody::ToolCallUpdate(_)))
        .map(|e| serde_json::to_string(&e.body).map(|s| s.len()).unwrap_or(0))
        .sum()
}

fn output_of(events: &[tandem_shared::TranscriptEvent]) -> String {
    let mut transcript = tandem_shared::transcript::Transcript::default();
    for event in events {
        transcript.apply(event);
    }
    transcript
        .entries
        .iter()
        .find_map(|entry| match entry {
            tandem_shared::transcript::Entry::Tool { call, .. } => {
                call.output_text().map(str::to_owned)
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// A command printing 1 MB costs about 1 MB of store: each update keeps
/// only what the output grew by, and the transcript puts it back together.
#[tokio::test]
async fn a_megabyte_of_output_is_stored_once() {
    let server = TestServer::start().await;
    let (session, _) =
        crate::support::allowed_command(&server, "yes 0123456789abcdef | head -c 1000000").await;
    let events = server.all_events(&session).await;
    let output = output_of(&events);
    assert_eq!(output.len(), 1_000_000);
    assert!(output.starts_with("0123456789abcdef\n0123"));
    let stored = stored_output_bytes(&events);
    assert!(
        stored < 1_100_000,
        "1 MB of output took {stored} bytes of events"
    );
}

/// An agent that resends a tool's whole output with every update (as ACP
/// has it) is stored by what grew, too.
#[tokio::test]
async fn output_resent_whole_is_stored_by_what_grew() {
    let server = TestServer::start().await;
    let chunk = "x".repeat(10_000);
    let mut steps =
        vec![json!({"do": "tool_call", "id": "t1", "title": "Build", "kind": "execute"})];
    for n in 1..=50 {
        steps.push(
            json!({"do": "tool_update", "id": "t1", "status": "in_progress",
                          "text": chunk.repeat(n)}),
        );
    }
    steps.push(
        json!({"do": "tool_update", "id": "t1", "status": "completed",
                      "text": format!("{}done", chunk.repeat(50))}),
    );
    let assistant = server
        .scripted_assistant("resender", json!({"turns": [steps]}))
        .await;
    let session = server.start_session(&assistant, "build").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    let events = server.all_events(&session.id).await;
    let output = output_of(&events);
    assert_eq!(output.len(), 500_004);
    assert!(output.ends_with("xdone"));
    let stored = stored_output_bytes(&events);
    // Resent whole, 50 updates would have stored 12.75 MB.
    assert!(
        stored < 600_000,
        "{stored} bytes stored for 0.5 MB of output"
    );
}
