//! Wakes: chat, tasks and heartbeats start or continue sessions, are
//! recorded, queue behind a live session, and report back in chat and on
//! tasks.

use crate::support::{until_json, TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::api::{
    Assistant, ChatAuthorKind, ChatMessage, Task, TaskStatus, Wake, WakeState, WakeTrigger,
};
use tandem_shared::{Seq, SessionId, SessionStatus};

async fn chat(server: &TestServer, assistant: &Assistant, text: &str) -> Wake {
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/chat", assistant.id),
            json!({"text": text}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn watch(server: &TestServer, session: &SessionId) -> Viewer {
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(session, Seq::ZERO).await;
    viewer
}

fn chat_messages(body: &Value) -> Vec<ChatMessage> {
    serde_json::from_value(body.clone()).unwrap_or_default()
}

#[tokio::test]
async fn a_chat_message_starts_a_session_and_its_summary_lands_in_chat() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("chatty", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let wake = chat(&server, &assistant, "Please look at the flaky test").await;
    assert_eq!(
        (wake.trigger, wake.state),
        (WakeTrigger::Chat, WakeState::Started)
    );
    let session_id = wake.session_id.clone().expect("a session");
    let (_, session) = server.get(&format!("/api/sessions/{session_id}")).await;
    assert_eq!(session["title"], "Please look at the flaky test");
    let mut viewer = watch(&server, &session_id).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let body = until_json(
        &server,
        &format!("/api/assistants/{}/chat", assistant.id),
        "the summary in chat",
        |b| {
            chat_messages(b)
                .iter()
                .any(|m| m.author_kind == ChatAuthorKind::Summary)
        },
    )
    .await;
    let messages = chat_messages(&body);
    assert_eq!(messages[0].author_kind, ChatAuthorKind::Person);
    assert_eq!(messages[0].text, "Please look at the flaky test");
    let summary = messages
        .iter()
        .find(|m| m.author_kind == ChatAuthorKind::Summary)
        .unwrap();
    assert!(summary.text.starts_with("Finished."), "{}", summary.text);
    assert!(summary
        .text
        .contains("You said: Please look at the flaky test"));
    assert_eq!(summary.session_id.as_ref(), Some(&session_id));
    let (_, wakes) = server
        .get(&format!("/api/assistants/{}/wakes", assistant.id))
        .await;
    let wakes: Vec<Wake> = serde_json::from_value(wakes).unwrap();
    assert_eq!(wakes.len(), 1);
    assert_eq!(wakes[0].session_id.as_ref(), Some(&session_id));
}

#[tokio::test]
async fn chat_during_a_live_turn_follows_it_and_other_wakes_queue_behind_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("busy", json!({"turns": [
            [{"do": "permission", "id": "p1", "title": "Go on?", "kind": "execute"}, {"do": "echo_prompt"}],
            [{"do": "echo_prompt"}]
        ]}))
        .await;
    let first = chat(&server, &assistant, "first").await;
    let session_id = first.session_id.clone().unwrap();
    let mut viewer = watch(&server, &session_id).await;
    let (approval, _) = viewer.until_approval().await;

    let second = chat(&server, &assistant, "second").await;
    assert_eq!(second.state, WakeState::Delivered);
    assert_eq!(second.session_id.as_ref(), Some(&session_id));
    let (status, beat) = server
        .post(
            &format!("/api/assistants/{}/heartbeat", assistant.id),
            json!({"message": "status check"}),
        )
        .await;
    assert_eq!(status, 202);
    let beat: Wake = serde_json::from_value(beat).unwrap();
    assert_eq!(
        (beat.trigger, beat.state),
        (WakeTrigger::Heartbeat, WakeState::Queued)
    );

    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let text = viewer.agent_text();
    let at_first = text.find("You said: first").expect("first");
    let at_second = text
        .find("You said: second")
        .expect("second, after the first turn");
    assert!(at_first < at_second);

    // The heartbeat starts a session of its own once the live one ended.
    let wakes = until_json(
        &server,
        &format!("/api/assistants/{}/wakes", assistant.id),
        "the heartbeat to start",
        |b| {
            serde_json::from_value::<Vec<Wake>>(b.clone())
                .map(|w| {
                    w.iter().any(|w| {
                        w.trigger == WakeTrigger::Heartbeat && w.state == WakeState::Started
                    })
                })
                .unwrap_or(false)
        },
    )
    .await;
    let wakes: Vec<Wake> = serde_json::from_value(wakes).unwrap();
    let beat = wakes
        .iter()
        .find(|w| w.trigger == WakeTrigger::Heartbeat)
        .unwrap();
    let beat_session = beat.session_id.clone().unwrap();
    assert_ne!(beat_session, session_id);
    let mut beat_viewer = watch(&server, &beat_session).await;
    // A new agent process plays its scenario from the first turn again.
    let (approval, _) = beat_viewer.until_approval().await;
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    beat_viewer.until_ended().await;
    assert!(beat_viewer.agent_text().contains("You said: status check"));
    assert_eq!(wakes.len(), 3, "every wake is recorded");
}

#[tokio::test]
async fn assigning_a_task_wakes_the_assistant_and_success_moves_it_to_review() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("worker", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let (status, body) = server
        .post("/api/tasks", json!({"title": "Upgrade the parser", "body": "Use the new API.", "assignee_id": assistant.id}))
        .await;
    assert_eq!(status, 201, "{body}");
    let task: Task = serde_json::from_value(body).unwrap();
    assert_eq!(
        task.session_ids.len(),
        1,
        "the session is linked to the task"
    );
    assert_eq!(task.status, TaskStatus::InProgress);
    let session_id = task.session_ids[0].clone();
    let (_, session) = server.get(&format!("/api/sessions/{session_id}")).await;
    assert_eq!(session["title"], "Upgrade the parser");
    let mut viewer = watch(&server, &session_id).await;
    viewer.until_ended().await;
    assert!(viewer
        .agent_text()
        .contains("Upgrade the parser\n\nUse the new API."));
    until_json(
        &server,
        &format!("/api/tasks/{}", task.id),
        "the task in review",
        |b| b["status"] == "in_review",
    )
    .await;
}

#[tokio::test]
async fn a_failed_task_run_files_a_follow_up_and_a_failed_chat_run_a_journal_note() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("crashy", json!({"turns": [[{"do": "crash", "code": 4}]]}))
        .await;
    let (_, body) = server
        .post(
            "/api/tasks",
            json!({"title": "Fix CI", "assignee_id": assistant.id}),
        )
        .await;
    let task: Task = serde_json::from_value(body).unwrap();
    let mut viewer = watch(&server, &task.session_ids[0]).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let tasks = until_json(&server, "/api/tasks", "a follow-up task", |b| {
        b.as_array()
            .is_some_and(|tasks| tasks.iter().any(|t| t["parent_id"] == task.id.as_str()))
    })
    .await;
    let tasks: Vec<Task> = serde_json::from_value(tasks).unwrap();
    let follow_up = tasks
        .iter()
        .find(|t| t.parent_id.as_deref() == Some(task.id.as_str()))
        .unwrap();
    assert_eq!(follow_up.title, "Follow up: Fix CI");
    assert!(follow_up.body.contains("exited"), "{}", follow_up.body);
    assert_eq!(
        follow_up.assignee_id, None,
        "not assigned: no loop of failing wakes"
    );

    let wake = chat(&server, &assistant, "try again").await;
    let mut viewer = watch(&server, &wake.session_id.unwrap()).await;
    viewer.until_ended().await;
    let log = std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("agent.log"))
        .unwrap();
    assert!(
        log.contains("## Recent chat"),
        "the cold start's context carries the recent chat"
    );
    assert!(log.contains("admin: try again"), "{log}");
    let journal = until_json(
        &server,
        &format!("/api/assistants/{}/journal", assistant.id),
        "a journal note",
        |b| b.as_array().is_some_and(|entries| !entries.is_empty()),
    )
    .await;
    assert!(
        journal[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Session “try again” failed: the agent exited"),
        "{journal}"
    );
}

#[tokio::test]
async fn bad_wakes_get_clear_errors() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/chat", demo.id),
            json!({"text": "  "}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("message"));
    let (status, _) = server
        .post("/api/assistants/ast_none/chat", json!({"text": "hi"}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = server
        .post(
            "/api/assistants/ast_none/heartbeat",
            json!({"message": "hi"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = server.get("/api/assistants/ast_none/wakes").await;
    assert_eq!(status, 404);
    let (status, body) = server
        .post(
            "/api/tasks",
            json!({"title": "x", "assignee_id": "ast_none"}),
        )
        .await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("assignee_id"));
    let (status, body) = server.post("/api/tasks", json!({"title": ""})).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("title"));
    let (_, tasks) = server.get("/api/tasks").await;
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(0),
        "nothing half-created"
    );
    let (status, _) = server.get("/api/tasks/tsk_none").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_hung_session_fails_and_the_queue_behind_it_moves_on() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("stuck", json!({"turns": [[{"do": "message", "text": "thinking…"}, {"do": "sleep", "ms": 60000}]]}))
        .await;
    let first = chat(&server, &assistant, "start").await;
    let (_, beat) = server
        .post(
            &format!("/api/assistants/{}/heartbeat", assistant.id),
            json!({"message": "next"}),
        )
        .await;
    assert_eq!(beat["state"], "queued");
    let mut viewer = watch(&server, &first.session_id.unwrap()).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    assert!(
        viewer.error_text().contains("treated as hung"),
        "{}",
        viewer.error_text()
    );
    until_json(
        &server,
        &format!("/api/assistants/{}/wakes", assistant.id),
        "the queued wake to start",
        |b| {
            b.as_array().is_some_and(|w| {
                w.iter()
                    .any(|w| w["trigger"] == "heartbeat" && w["state"] == "started")
            })
        },
    )
    .await;
}

#[tokio::test]
async fn a_routine_wakes_its_assistant_on_schedule() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("routine", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/routines", assistant.id),
            json!({"cron": "* * * * * *", "time_zone": "Europe/Berlin", "prompt": "Check the nightly build"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["next_run_at"].as_i64().is_some());
    assert!(!body["description"].as_str().unwrap_or("").is_empty());
    let routine_id = body["id"].as_str().unwrap().to_owned();
    let wakes = until_json(
        &server,
        &format!("/api/assistants/{}/wakes", assistant.id),
        "the routine to fire",
        |b| {
            b.as_array().is_some_and(|w| {
                w.iter()
                    .any(|w| w["trigger"] == "routine" && w["state"] == "started")
            })
        },
    )
    .await;
    // Stop it firing again, then check the run it started.
    let response = server
        .http
        .patch(format!("{}/api/routines/{routine_id}", server.url))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let wakes: Vec<Wake> = serde_json::from_value(wakes).unwrap();
    let wake = wakes
        .iter()
        .find(|w| w.trigger == WakeTrigger::Routine)
        .unwrap();
    assert_eq!(wake.source, format!("routine {routine_id}"));
    let mut viewer = watch(&server, wake.session_id.as_ref().unwrap()).await;
    viewer.until_ended().await;
    assert!(viewer
        .agent_text()
        .contains("You said: Check the nightly build"));
    let (_, session) = server
        .get(&format!(
            "/api/sessions/{}",
            wake.session_id.as_ref().unwrap()
        ))
        .await;
    assert_eq!(session["title"], "Check the nightly build");
}

#[tokio::test]
async fn bad_routines_get_errors_naming_the_field() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let path = format!("/api/assistants/{}/routines", demo.id);
    for (body, field) in [
        (
            json!({"cron": "every morning", "time_zone": "UTC", "prompt": "x"}),
            "cron",
        ),
        (
            json!({"cron": "0 9 * * *", "time_zone": "Mars/Olympus", "prompt": "x"}),
            "time_zone",
        ),
        // A date that never comes: refused, not kept enabled with no run.
        (
            json!({"cron": "0 0 30 2 *", "time_zone": "UTC", "prompt": "x"}),
            "cron: `0 0 30 2 *` never fires",
        ),
        (
            json!({"cron": "0 9 * * *", "time_zone": "UTC", "prompt": " "}),
            "prompt",
        ),
    ] {
        let (status, answer) = server.post(&path, body).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{answer}"
        );
    }
    let (_, routines) = server.get(&path).await;
    assert_eq!(
        routines.as_array().map(Vec::len),
        Some(0),
        "nothing half-saved"
    );
    let (status, _) = server
        .post(
            "/api/assistants/ast_none/routines",
            json!({"cron": "0 9 * * *", "time_zone": "UTC", "prompt": "x"}),
        )
        .await;
    assert_eq!(status, 404);
    let response = server
        .http
        .delete(format!("{}/api/routines/rtn_none", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_archived_assistant_leaves_the_list_and_cannot_be_woken() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("retiring", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let response = server
        .http
        .patch(format!("{}/api/assistants/{}", server.url, assistant.id))
        .json(&json!({"archived": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, listed) = server.get("/api/assistants").await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != assistant.id.as_str()));
    let (_, all) = server.get("/api/assistants?archived=true").await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == assistant.id.as_str()));
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/chat", assistant.id),
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("archived"));
    let (status, _) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant.id, "prompt": "hi"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = server
        .post(
            "/api/tasks",
            json!({"title": "t", "assignee_id": assistant.id}),
        )
        .await;
    assert_eq!(status, 409);
    let (_, tasks) = server.get("/api/tasks").await;
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(0),
        "nothing half-saved"
    );
}

/// A wake queued behind a session that a kill -9 cut off starts after the
/// restart, and its task moves on: start-up resumes queued wakes in order.
#[tokio::test]
async fn a_wake_queued_at_a_kill_starts_after_the_restart() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::launch().in_dir(tmp.path()).start().await;
    let assistant = server
        .scripted_assistant(
            "steady",
            json!({"turns": [[
                {"do": "first_time", "marker": "busy", "steps": [
                    {"do": "message", "text": "busy"},
                    {"do": "wait_for_cancel"}
                ], "otherwise": [{"do": "echo_prompt"}]}
            ]]}),
        )
        .await;
    let first = chat(&server, &assistant, "first").await;
    let mut viewer = watch(&server, first.session_id.as_ref().expect("started")).await;
    viewer
        .until("the agent at work", |v| v.agent_text().contains("busy"))
        .await;
    let (status, task) = server
        .post(
            "/api/tasks",
            json!({"title": "After the restart", "assignee_id": assistant.id}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    let wakes_path = format!("/api/assistants/{}/wakes", assistant.id);
    let (_, wakes) = server.get(&wakes_path).await;
    let queued: Vec<Wake> = serde_json::from_value(wakes).expect("wakes");
    assert!(
        queued
            .iter()
            .any(|w| w.trigger == WakeTrigger::Task && w.state == WakeState::Queued),
        "{queued:?}"
    );
    server.kill().await;

    let server = TestServer::launch().in_dir(tmp.path()).start().await;
    let wakes = until_json(&server, &wakes_path, "the queued wake to start", |b| {
        serde_json::from_value::<Vec<Wake>>(b.clone())
            .map(|w| {
                w.iter()
                    .any(|w| w.trigger == WakeTrigger::Task && w.state == WakeState::Started)
            })
            .unwrap_or(false)
    })
    .await;
    let wakes: Vec<Wake> = serde_json::from_value(wakes).expect("wakes");
    let started = wakes
        .iter()
        .find(|w| w.trigger == WakeTrigger::Task)
        .and_then(|w| w.session_id.clone())
        .expect("its session");
    let mut viewer = watch(&server, &started).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(viewer.agent_text().contains("After the restart"));
    let task_id = task["id"].as_str().expect("id");
    until_json(
        &server,
        &format!("/api/tasks/{task_id}"),
        "the task in review",
        |task| task["status"] == "in_review",
    )
    .await;
}

/// Posting a session's summary can fail (the store refuses the write): the
/// failure is written in the assistant's journal and the wake queued
/// behind the session still starts.
#[tokio::test]
async fn a_summary_that_cannot_be_posted_is_journaled_and_the_queue_moves_on() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "unlucky",
            json!({"turns": [[
                {"do": "first_time", "marker": "unlucky", "steps": [
                    {"do": "sleep", "ms": 800},
                    {"do": "message", "text": format!("done {}", tandem::test_hooks::REPORT_FAILS_MARK)}
                ], "otherwise": [{"do": "message", "text": "the next one ran"}]}
            ]]}),
        )
        .await;
    let first = chat(&server, &assistant, "first").await;
    let (status, beat) = server
        .post(
            &format!("/api/assistants/{}/heartbeat", assistant.id),
            json!({"message": "next"}),
        )
        .await;
    assert_eq!(status, 202, "{beat}");
    assert_eq!(beat["state"], "queued", "{beat}");
    let mut viewer = watch(&server, first.session_id.as_ref().expect("started")).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    let journal = until_json(
        &server,
        &format!("/api/assistants/{}/journal", assistant.id),
        "the failed post in the journal",
        |j| {
            j.as_array().is_some_and(|entries| {
                entries.iter().any(|e| {
                    e["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("Could not post the summary"))
                })
            })
        },
    )
    .await;
    assert!(
        journal.to_string().contains("the store refused the write"),
        "{journal}"
    );
    let wakes = until_json(
        &server,
        &format!("/api/assistants/{}/wakes", assistant.id),
        "the queued heartbeat to start",
        |b| {
            b.as_array().is_some_and(|w| {
                w.iter()
                    .any(|w| w["trigger"] == "heartbeat" && w["state"] == "started")
            })
        },
    )
    .await;
    let next: Vec<Wake> = serde_json::from_value(wakes).expect("wakes");
    let next_session = next
        .iter()
        .find(|w| w.trigger == WakeTrigger::Heartbeat)
        .and_then(|w| w.session_id.clone())
        .expect("its session");
    let mut viewer = watch(&server, &next_session).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(viewer.agent_text().contains("the next one ran"));
    // The failed post left no half-written summary; the next one landed
    // (posted after the session ends: waited for, not raced).
    let messages = until_json(
        &server,
        &format!("/api/assistants/{}/chat", assistant.id),
        "the next session's summary",
        |b| b.to_string().contains("the next one ran"),
    )
    .await;
    let summaries: Vec<ChatMessage> = chat_messages(&messages)
        .into_iter()
        .filter(|m| m.author_kind == ChatAuthorKind::Summary)
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(summaries[0].text.contains("the next one ran"));
}

/// A heartbeat (or routine) may carry a pre-check: a command run in the
/// workspace first. It wakes only when the command says so (exits 0, or
/// prints something new), and otherwise is logged as skipped, with why,
/// starting nothing. Only an admin sets one.
#[tokio::test]
async fn pre_checks_skip_wakes_with_nothing_to_do_and_start_nothing() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("checker", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let workspace = server.data_dir.join("ws-checker");
    let heartbeat = |precheck: Value| {
        let server = &server;
        let id = assistant.id.clone();
        async move {
            server
                .post(
                    &format!("/api/assistants/{id}/heartbeat"),
                    json!({"message": "anything new?", "precheck": precheck}),
                )
                .await
        }
    };

    // Exits 1: skipped, nothing started.
    let (status, wake) = heartbeat(json!({"command": "test -f ready"})).await;
    assert_eq!(status, 202, "{wake}");
    assert_eq!(wake["state"], "skipped", "{wake}");
    assert_eq!(wake["reason"], "the pre-check exited 1");
    assert!(wake.get("session_id").is_none());
    let (_, sessions) = server
        .get(&format!("/api/sessions?assistant_id={}", assistant.id))
        .await;
    assert_eq!(sessions, json!([]), "a skipped wake starts nothing");
    // Exits 0: woken.
    std::fs::write(workspace.join("ready"), "").expect("ready");
    let (_, wake) = heartbeat(json!({"command": "test -f ready"})).await;
    assert_eq!(wake["state"], "started", "{wake}");
    let session = SessionId(wake["session_id"].as_str().unwrap_or_default().into());
    assert_eq!(
        watch(&server, &session).await.until_ended().await,
        SessionStatus::Completed
    );

    // Output changed: the first run counts, the same output skips.
    std::fs::write(workspace.join("state.txt"), "a").expect("state");
    let changed = json!({"command": "cat state.txt", "wake_when": "output_changed"});
    let (_, wake) = heartbeat(changed.clone()).await;
    assert_eq!(wake["state"], "started", "{wake}");
    let session = SessionId(wake["session_id"].as_str().unwrap_or_default().into());
    watch(&server, &session).await.until_ended().await;
    let (_, wake) = heartbeat(changed.clone()).await;
    assert_eq!(wake["state"], "skipped", "{wake}");
    assert_eq!(wake["reason"], "the pre-check's output did not change");
    std::fs::write(workspace.join("state.txt"), "b").expect("state");
    let (_, wake) = heartbeat(changed).await;
    assert_eq!(wake["state"], "started", "{wake}");
    let session = SessionId(wake["session_id"].as_str().unwrap_or_default().into());
    watch(&server, &session).await.until_ended().await;

    // The wake log says what was skipped and why.
    let (_, wakes) = server
        .get(&format!("/api/assistants/{}/wakes", assistant.id))
        .await;
    let skipped: Vec<&Value> = wakes
        .as_array()
        .map(|all| all.iter().filter(|w| w["state"] == "skipped").collect())
        .unwrap_or_default();
    assert_eq!(skipped.len(), 2, "{wakes:#}");

    // A routine's pre-check, fired by the scheduler every second.
    let (status, routine) = server
        .post(
            &format!("/api/assistants/{}/routines", assistant.id),
            json!({"cron": "* * * * * *", "time_zone": "UTC", "prompt": "check",
                   "precheck": {"command": "exit 3"}}),
        )
        .await;
    assert_eq!(status, 201, "{routine}");
    assert_eq!(routine["precheck"]["wake_when"], "exits_zero");
    let path = format!("/api/assistants/{}/wakes", assistant.id);
    let wakes = until_json(&server, &path, "a skipped routine wake", |wakes| {
        wakes.as_array().is_some_and(|all| {
            all.iter()
                .any(|w| w["trigger"] == "routine" && w["reason"] == "the pre-check exited 3")
        })
    })
    .await;
    assert!(wakes.as_array().is_some_and(|all| all
        .iter()
        .all(|w| w["trigger"] != "routine" || w["state"] == "skipped")));
    let (status, _) = server
        .patch(
            &format!(
                "/api/routines/{}",
                routine["id"].as_str().unwrap_or_default()
            ),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(status, 200);

    // Bad input: not an admin, an empty command, a huge one.
    let member = server.person("member").await;
    server
        .post(
            &format!("/api/assistants/{}/members", assistant.id),
            json!({"user_id": member.id}),
        )
        .await;
    let (status, body) = member
        .post(
            &format!("/api/assistants/{}/heartbeat", assistant.id),
            json!({"message": "hi", "precheck": {"command": "true"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = member
        .post(
            &format!("/api/assistants/{}/routines", assistant.id),
            json!({"cron": "0 9 * * *", "time_zone": "UTC", "prompt": "p",
                   "precheck": {"command": "true"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    for (command, says) in [
        ("  ", "must not be empty"),
        (&"x".repeat(5000)[..], "at most"),
    ] {
        let (status, body) = heartbeat(json!({"command": command})).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.to_string().contains(says), "{body}");
    }
    let (status, body) = heartbeat(json!({"command": "true", "wake_when": "sometimes"})).await;
    assert_eq!(status, 400, "{body}");
}
