//! The shapes today's agents really send (ACP.md, "How the real agents
//! differ"), played by the test agent, and what a person sees of them:
//! Codex's reject that ends the turn `cancelled` with its tool call left
//! open, Claude's empty turn right after a cancel.

use crate::support::{TestServer, Viewer, ADMIN};
use serde_json::json;
use tandem_shared::transcript::{Entry, Transcript};
use tandem_shared::{EventBody, Seq, SessionStatus, ToolStatus};

fn folded(viewer: &Viewer) -> Transcript {
    let mut transcript = Transcript::default();
    for event in &viewer.events {
        transcript.apply(event);
    }
    transcript
}

fn tool_statuses(viewer: &Viewer) -> Vec<(String, ToolStatus)> {
    folded(viewer)
        .entries
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Tool { call, .. } => Some((call.id, call.status)),
            _ => None,
        })
        .collect()
}

fn summary(viewer: &Viewer) -> String {
    viewer
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            EventBody::Summary { text } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reject_that_ends_the_turn_is_told_as_such_and_leaves_no_card_open() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "codex-like",
            json!({"turns": [[
                {"do": "tool_call", "id": "read-1", "title": "Read notes", "kind": "read"},
                {"do": "tool_update", "id": "read-1", "status": "completed"},
                {"do": "tool_call", "id": "exec-1", "title": "rm -rf build", "kind": "execute"},
                {"do": "tool_update", "id": "exec-1", "status": "in_progress"},
                {"do": "permission", "id": "exec-1", "title": "rm -rf build", "kind": "execute",
                 "reject_stop": "cancelled", "leave_open": true}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "edit it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "no"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(viewer.until_ended().await, SessionStatus::Stopped);
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(
        now["status_reason"],
        format!("the agent ended its turn after {ADMIN} rejected “rm -rf build”"),
        "{now}"
    );
    let text = summary(&viewer);
    assert!(
        text.starts_with("Stopped: the agent ended its turn"),
        "{text}"
    );
    assert!(
        !text.contains("Ran"),
        "a rejected command never ran: {text}"
    );
    assert!(
        text.contains(&format!("Rejected by {ADMIN}: “rm -rf build”")),
        "{text}"
    );
    // The call Codex leaves `in_progress` is closed; the read stays done.
    assert_eq!(
        tool_statuses(&viewer),
        vec![
            ("read-1".to_owned(), ToolStatus::Completed),
            ("exec-1".to_owned(), ToolStatus::NotFinished)
        ]
    );
}

#[tokio::test]
async fn a_turn_that_ends_with_a_call_still_running_closes_it_and_says_so() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "forgetful",
            json!({"turns": [[
                {"do": "tool_call", "id": "run-1", "title": "cargo build", "kind": "execute"},
                {"do": "tool_update", "id": "run-1", "status": "in_progress"},
                {"do": "message", "text": "Done, I think."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "build").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(
        tool_statuses(&viewer),
        vec![("run-1".to_owned(), ToolStatus::NotFinished)]
    );
    let text = summary(&viewer);
    assert!(text.contains("1 tool call did not finish"), "{text}");
    assert!(!text.contains("Ran 1 command"), "it never finished: {text}");
}

#[tokio::test]
async fn a_message_sent_with_interrupt_is_answered_even_when_the_agent_swallows_the_next_prompt() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "claude-like",
            json!({"empty_turn_after_cancel": true, "turns": [
                [{"do": "message", "text": "working on it"},
                 {"do": "work_until_cancel", "interval_ms": 100}],
                [{"do": "echo_prompt"}]
            ]}),
        )
        .await;
    let session = server.start_session(&assistant, "start").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the first turn at work", |v| {
            v.agent_text().contains("working on it")
        })
        .await;
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "do this instead", "interrupt": true}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the interrupting message answered", |v| {
            v.agent_text().contains("You said: do this instead")
        })
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(
        viewer.events.iter().any(|e| matches!(&e.body,
            EventBody::StatusChange { reason: Some(reason), .. } if reason.contains("sent again"))),
        "the transcript says the message was sent again"
    );
}

/// The events of a session, folded as a reader sees them.
async fn transcript_of(server: &TestServer, session: &str) -> Transcript {
    let mut transcript = Transcript::default();
    for event in server
        .all_events(&tandem_shared::SessionId(session.into()))
        .await
    {
        transcript.apply(&event);
    }
    transcript
}

async fn until_ended(server: &TestServer, session: &str) -> serde_json::Value {
    crate::support::until_json(
        server,
        &format!("/api/sessions/{session}"),
        "the session to end",
        |s| {
            s["status"].as_str().is_some_and(|status| {
                !["starting", "running", "waiting_approval", "paused"].contains(&status)
            })
        },
    )
    .await
}

fn agent_texts(transcript: &Transcript) -> Vec<String> {
    transcript
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Agent { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_replay_sent_after_the_load_answer_is_not_stored_and_old_cards_stay() {
    let server = TestServer::start().await;
    // Gemini: the history comes after the load's answer, with the ids of
    // the first run, and a new call reuses an old id.
    let assistant = server
        .scripted_assistant(
            "gemini-like",
            json!({"load_session": true, "replay_after_answer": true,
            "load_replay": [
                {"do": "user_chunk", "text": "list the files"},
                {"do": "message", "text": "I listed three files."},
                {"do": "tool_call", "id": "call-1", "title": "ls", "kind": "read"},
                {"do": "tool_update", "id": "call-1", "status": "completed"}
            ],
            "turns": [[{"do": "first_time", "marker": "run", "steps": [
                {"do": "tool_call", "id": "call-1", "title": "ls", "kind": "read"},
                {"do": "tool_update", "id": "call-1", "status": "completed"},
                {"do": "message", "text": "I listed three files."}
            ], "otherwise": [
                {"do": "tool_call", "id": "call-1", "title": "cat README.md", "kind": "read"},
                {"do": "tool_update", "id": "call-1", "status": "completed"},
                {"do": "message", "text": "Read it."}
            ]}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "list the files").await;
    until_ended(&server, session.id.as_str()).await;
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "now read the readme"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    crate::support::until_json(
        &server,
        &format!("/api/sessions/{}", session.id),
        "the second run to end",
        |s| s["status"] == "completed" && s["last_seq"].as_u64() > Some(session.last_seq.0 + 12),
    )
    .await;
    let transcript = transcript_of(&server, session.id.as_str()).await;
    assert_eq!(
        agent_texts(&transcript),
        vec!["I listed three files.".to_owned(), "Read it.".to_owned()],
        "the replayed words are not stored again"
    );
    let tools: Vec<(String, String)> = transcript
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Tool { call, .. } => Some((call.title.clone(), format!("{:?}", call.status))),
            _ => None,
        })
        .collect();
    assert_eq!(
        tools,
        vec![
            ("ls".to_owned(), "Completed".to_owned()),
            ("cat README.md".to_owned(), "Completed".to_owned())
        ],
        "the first run's card is kept; the reused id got a card of its own"
    );
    assert!(transcript.entries.iter().any(|entry| matches!(
        entry,
        Entry::Continuity {
            mode: tandem_shared::StartMode::Warm,
            ..
        }
    )));
}

#[tokio::test]
async fn a_chat_after_the_last_session_ended_continues_the_same_agent_session() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "keeps-context",
            json!({"load_session": true, "turns": [[{"do": "echo_prompt"}]]}),
        )
        .await;
    let chat = |text: &str| {
        let path = format!("/api/assistants/{}/chat", assistant.id);
        let body = json!({ "text": text });
        let server = &server;
        async move {
            let (status, wake) = server.post(&path, body).await;
            assert_eq!(status, 202, "{wake}");
            assert_eq!(wake["state"], "started", "{wake}");
            let session = wake["session_id"].as_str().expect("a session").to_owned();
            until_ended(server, &session).await;
            session
        }
    };
    let first = chat("one").await;
    let second = chat("two").await;
    assert_ne!(first, second, "a new Tandem session for the new wake");
    let continuity = |transcript: &Transcript| {
        transcript.entries.iter().find_map(|entry| match entry {
            Entry::Continuity { mode, reason, .. } => {
                Some((*mode, reason.clone().unwrap_or_default()))
            }
            _ => None,
        })
    };
    let (mode, reason) = continuity(&transcript_of(&server, &second).await).expect("continuity");
    assert_eq!(mode, tandem_shared::StartMode::Warm, "{reason}");
    assert!(reason.contains("from “one”"), "{reason}");
    // The agent was asked to load the session it made for the first wake.
    let log = std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("agent.log"))
        .expect("agent log");
    let loads = log
        .lines()
        .filter(|line| line.contains("\"session/load\""))
        .count();
    assert_eq!(loads, 1, "{log}");
    // A new persona makes the next wake cold, and says why.
    let (status, _) = server
        .patch(
            &format!("/api/assistants/{}", assistant.id),
            json!({"persona": "Someone else now."}),
        )
        .await;
    assert_eq!(status, 200);
    let third = chat("three").await;
    let (mode, reason) = continuity(&transcript_of(&server, &third).await).expect("continuity");
    assert_eq!(mode, tandem_shared::StartMode::Cold);
    assert!(
        reason.contains("persona, constitution, agent or workspace changed"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_chat_arriving_while_the_agent_exits_starts_one_new_run() {
    let server = TestServer::start().await;
    // Deaf to the end of its stdin: it takes the whole exit grace to go.
    let assistant = server
        .scripted_assistant(
            "slow-to-exit",
            json!({"ignore_stdin_eof": true, "turns": [[{"do": "echo_prompt"}]]}),
        )
        .await;
    let path = format!("/api/assistants/{}/chat", assistant.id);
    let (_, first) = server.post(&path, json!({"text": "one"})).await;
    let first = first["session_id"].as_str().expect("session").to_owned();
    until_ended(&server, &first).await;
    // The first agent is still exiting (3 s of grace in tests).
    let (status, wake) = server.post(&path, json!({"text": "two"})).await;
    assert_eq!(status, 202, "{wake}");
    assert_eq!(
        wake["state"], "started",
        "not delivered to a run that is over: {wake}"
    );
    let second = wake["session_id"].as_str().expect("session").to_owned();
    assert_ne!(second, first);
    until_ended(&server, &second).await;
    let summaries = |transcript: &Transcript| {
        transcript
            .entries
            .iter()
            .filter(|entry| matches!(entry, Entry::Summary { .. }))
            .count()
    };
    assert_eq!(summaries(&transcript_of(&server, &first).await), 1);
    let second_transcript = transcript_of(&server, &second).await;
    assert_eq!(summaries(&second_transcript), 1);
    assert!(agent_texts(&second_transcript)
        .concat()
        .contains("You said: two"));
}

/// The newest adapters' shapes in one turn: string request ids, a `_`
/// notification, a request Tandem does not know (answered
/// method-not-found), terminal content without a terminal capability, and a
/// placeholder title a later update replaces.
#[tokio::test]
async fn the_newest_adapters_shapes_are_taken_in_stride() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "newest",
            json!({"string_ids": true, "turns": [[
                {"do": "notify", "method": "_auth/status_update", "params": {"kind": "gateway"}},
                {"do": "tool_call", "id": "t1", "title": "Terminal", "kind": "execute"},
                {"do": "update", "update": {"sessionUpdate": "tool_call_update", "toolCallId": "t1",
                    "content": [{"type": "terminal", "terminalId": "t1"}]}},
                {"do": "tool_update", "id": "t1", "status": "completed", "title": "cargo test"},
                {"do": "permission", "id": "p1", "title": "Write a", "kind": "edit"},
                {"do": "ask", "method": "_zed/unknown_request", "params": {}}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(status, 200, "a string-id request is answered: {body}");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let text = viewer.agent_text();
    assert!(
        text.contains("-32601"),
        "an unknown request is method-not-found: {text}"
    );
    let calls: Vec<(String, String, ToolStatus)> = folded(&viewer)
        .entries
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Tool { call, .. } => Some((call.id, call.title, call.status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            ("t1".into(), "cargo test".into(), ToolStatus::Completed),
            ("p1".into(), "Write a".into(), ToolStatus::Completed)
        ]
    );
}

#[tokio::test]
async fn an_initialize_error_is_shown_as_the_agent_sent_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "obsolete",
            json!({"init_error": {"code": 1001,
                "message": "approval_policy = \"untrusted\" is no longer supported",
                "data": {"restartable": true}}}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(
        now["status_reason"],
        "the agent answered initialize with an error: approval_policy = \"untrusted\" is no \
         longer supported (code 1001, data {\"restartable\":true})"
    );
}

#[tokio::test]
async fn an_agent_that_wants_a_login_says_which_ways_it_offers() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "locked",
            json!({"auth_required": true, "auth_methods": [
                {"id": "api-key", "name": "API key", "description": "Set OPENAI_API_KEY"},
                {"id": "chatgpt", "name": "ChatGPT login"}]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let (_, now) = server.get(&format!("/api/sessions/{}", session.id)).await;
    let reason = now["status_reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(
            "the agent needs a login before it can work: Authentication required (code -32000)."
        ),
        "{reason}"
    );
    assert!(
        reason.contains("It offers: API key (Set OPENAI_API_KEY); ChatGPT login."),
        "{reason}"
    );
}
