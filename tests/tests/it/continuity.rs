//! Continuity through the real server and a real agent process: cold starts
//! carry the context block, warm resumes use `session/load` only when
//! allowed, an identity edit forces a cold start, and every run's summary.

use crate::support::{run_to_end, TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::api::Assistant;
use tandem_shared::{EventBody, Seq, SessionStatus, StartMode};

/// Every `session/prompt` the test agent received, as the text of its blocks.
fn prompts(assistant: &Assistant) -> Vec<Vec<String>> {
    let log = std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("agent.log"))
        .unwrap_or_default();
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["method"] == "session/prompt")
        .map(|message| {
            message["params"]["prompt"]
                .as_array()
                .map(|blocks| {
                    blocks
                        .iter()
                        .filter_map(|b| b["text"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn methods(assistant: &Assistant) -> Vec<String> {
    let log = std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("agent.log"))
        .unwrap_or_default();
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|m| m["method"].as_str().map(str::to_owned))
        .collect()
}

fn starts(viewer: &Viewer) -> Vec<(StartMode, String)> {
    viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Continuity { mode, reason, .. } => {
                Some((*mode, reason.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_cold_start_gives_the_agent_its_context_and_a_warm_resume_does_not() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "ada",
            json!({"load_session": true, "turns": [[{"do": "echo_prompt"}]]}),
        )
        .await;
    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/journal", assistant.id),
            json!({"text": "Shipped the parser."}),
        )
        .await;
    assert_eq!(status, 201);
    server
        .http
        .put(format!("{}/api/settings/constitution", server.url))
        .json(&json!({"text": "Org rule: never force-push."}))
        .send()
        .await
        .unwrap();
    let (status, _) = server
        .http
        .patch(format!("{}/api/assistants/{}", server.url, assistant.id))
        .json(&json!({"constitution": "Own rule: write tests first.", "memory": "The repo uses cargo xtask."}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);

    let session = server.start_session(&assistant, "first task").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let first = &prompts(&assistant)[0];
    assert_eq!(first.len(), 2, "context block, then the message");
    let context = &first[0];
    for needle in [
        "# Context for ada",
        "ada is a scripted test assistant.",
        "Org rule: never force-push.\n\nOwn rule: write tests first.",
        "The repo uses cargo xtask.",
        "Shipped the parser.",
        "## Why you woke",
    ] {
        assert!(
            context.contains(needle),
            "{needle} missing from the context block:\n{context}"
        );
    }
    assert_eq!(first[1], "first task");
    assert_eq!(
        starts(&viewer),
        vec![(StartMode::Cold, "first run of this session".into())]
    );

    // Same identity, an agent that can load: warm, no context block.
    run_to_end(&server, &mut viewer, &session.id, "second task").await;
    assert_eq!(prompts(&assistant)[1], vec!["second task".to_owned()]);
    assert_eq!(starts(&viewer).last().map(|s| s.0), Some(StartMode::Warm));
    assert!(methods(&assistant).contains(&"session/load".to_owned()));

    // A persona edit makes the next run cold, with the new persona.
    let response = server
        .http
        .patch(format!("{}/api/assistants/{}", server.url, assistant.id))
        .json(&json!({"persona": "Ada, now a reviewer."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    run_to_end(&server, &mut viewer, &session.id, "third task").await;
    let third = &prompts(&assistant)[2];
    assert!(third[0].contains("Ada, now a reviewer."), "{third:?}");
    assert_eq!(
        starts(&viewer).last().cloned(),
        Some((
            StartMode::Cold,
            "the persona, constitution, agent or workspace changed".into()
        ))
    );
    viewer.assert_contiguous();
}

#[tokio::test]
async fn an_agent_without_load_session_always_starts_cold() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant("cold", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let session = server.start_session(&assistant, "one").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    run_to_end(&server, &mut viewer, &session.id, "two").await;
    assert_eq!(
        starts(&viewer).last().cloned(),
        Some((StartMode::Cold, "the agent cannot resume sessions".into()))
    );
    assert!(!methods(&assistant).contains(&"session/load".to_owned()));
    assert!(prompts(&assistant)[1][0].contains("# Context for cold"));
}

#[tokio::test]
async fn every_run_ends_with_a_summary_and_failing_tests_fail_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "tests",
            json!({"turns": [[
                {"do": "tool_call", "id": "e1", "title": "Edit lib.rs", "kind": "edit",
                 "diff": {"path": "src/lib.rs", "old": "a", "new": "b"}},
                {"do": "tool_update", "id": "e1", "status": "completed"},
                {"do": "tool_call", "id": "t1", "title": "cargo test", "kind": "execute"},
                {"do": "tool_update", "id": "t1", "status": "failed", "text": "1 failed"},
                {"do": "message", "text": "One test still fails."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "fix the bug").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let summary = viewer
        .events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Summary { text } => Some(text.clone()),
            _ => None,
        })
        .expect("a summary");
    assert!(
        summary.starts_with("Failed: the last test run (`cargo test`) failed."),
        "{summary}"
    );
    assert!(summary.contains("Changed 1 file (lib.rs)."), "{summary}");
    assert!(
        summary.contains("Ran the tests (`cargo test`): failing."),
        "{summary}"
    );
    assert!(summary.ends_with("One test still fails."), "{summary}");
}

#[tokio::test]
async fn identity_edits_are_validated_and_nothing_is_half_saved() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let patch = |body: Value| {
        let request = server
            .http
            .patch(format!("{}/api/assistants/{}", server.url, demo.id))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = patch(json!({"persona": "   ", "memory": "should not be saved"})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("persona"),
        "{body}"
    );
    let (_, after) = server.get(&format!("/api/assistants/{}", demo.id)).await;
    assert_eq!(after["memory"], "", "nothing half-saved");
    let (status, body) = patch(json!({"color": "red"})).await;
    assert_eq!(
        (
            status,
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("color")
        ),
        (400, true)
    );
    let (status, _) = patch(json!({"persona": 5})).await;
    assert_eq!(status, 400);
    let response = server
        .http
        .patch(format!("{}/api/assistants/ast_missing", server.url))
        .json(&json!({"persona": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "x", "agent": {"kind": "shell"}, "workspace": "/tmp", "persona": ""}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("persona"),
        "{body}"
    );
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/journal", demo.id),
            json!({"text": ""}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("text")
        ),
        (400, true)
    );
    let (status, _) = server
        .post("/api/assistants/ast_missing/journal", json!({"text": "x"}))
        .await;
    assert_eq!(status, 404);
}
