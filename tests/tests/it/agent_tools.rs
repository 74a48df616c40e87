//! The tools Tandem offers agents over MCP: a real `tandem mcp` process
//! started by the test agent from `session/new`'s `mcpServers`, calling
//! back into the real server with its run's token.

use crate::support::{until_json, TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::{Seq, SessionStatus};

#[tokio::test]
async fn an_agent_updates_memory_journal_tasks_and_chat_and_wakes_another_assistant() {
    let server = TestServer::start().await;
    let helper = server
        .scripted_assistant("helper", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let worker = server
        .scripted_assistant("worker", json!({"turns": [[
            {"do": "mcp", "tool": "read_memory"},
            {"do": "mcp", "tool": "write_memory", "arguments": {"text": "The build uses cargo xtask."}},
            {"do": "mcp", "tool": "read_memory"},
            {"do": "mcp", "tool": "append_journal", "arguments": {"text": "Learned how the build works."}},
            {"do": "mcp", "tool": "create_task", "arguments": {"title": "Review the parser", "assignee": "helper"}},
            {"do": "mcp", "tool": "list_tasks"},
            {"do": "mcp", "tool": "post_chat", "arguments": {"text": "I handed the review to helper."}},
            {"do": "mcp", "tool": "wake_assistant", "arguments": {"assistant": "nobody", "message": "hi"}},
            {"do": "mcp", "tool": "update_task", "arguments": {"id": "tsk_none", "status": "done"}},
            {"do": "mcp", "tool": "update_task", "arguments": {"id": "tsk_none", "status": "finished"}},
            {"do": "permission", "id": "p1", "title": "Hold on", "kind": "other"}
        ]]}))
        .await;
    let session = server.start_session(&worker, "organise the work").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let said = viewer.agent_text();
    for line in [
        "mcp read_memory: (memory is empty)",
        "mcp write_memory: Memory saved.",
        "mcp read_memory: The build uses cargo xtask.",
        "mcp append_journal: Journal entry added.",
        "mcp create_task: Created task",
        "[in_progress] Review the parser (assigned to",
        "mcp post_chat: Posted in chat.",
        "mcp wake_assistant failed: assistant: no assistant called nobody",
        "mcp update_task failed: id: no task tsk_none",
        "mcp update_task failed: status: `finished` is not one of",
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }

    // While the run is live its token works; for another assistant's memory
    // it is refused, naming the field.
    let log =
        std::fs::read_to_string(std::path::Path::new(&worker.workspace).join("agent.log")).unwrap();
    let token = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|m| m["method"] == "session/new")
        .and_then(|m| {
            m["params"]["mcpServers"][0]["env"]
                .as_array()?
                .iter()
                .find(|v| v["name"] == "TANDEM_MCP_TOKEN")
                .and_then(|v| v["value"].as_str().map(str::to_owned))
        })
        .expect("a token in mcpServers");
    let call = |token: Option<String>, body: Value| {
        let mut request = server
            .http
            .post(format!("{}/api/agent-tools/call", server.url))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = call(
        Some(token.clone()),
        json!({"tool": "write_memory", "arguments": {"text": "x", "assistant_id": helper.id}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("assistant_id"));
    let (status, _) = call(None, json!({"tool": "list_tasks"})).await;
    assert_eq!(status, 401);
    let (status, _) = call(Some("tdm_forged".into()), json!({"tool": "list_tasks"})).await;
    assert_eq!(status, 401);
    let (status, _) = call(Some(token.clone()), json!({"tool": "dance"})).await;
    assert_eq!(status, 400);
    // The run's token opens its tools and nothing else: not the routes that
    // change an agent's mode, secrets or workspace.
    let session_id = &session.id;
    for (method, path, body) in [
        (
            "POST",
            format!("/api/sessions/{session_id}/choices"),
            json!({"setting": "mode", "mode": "auto"}),
        ),
        (
            "POST",
            format!("/api/assistants/{}/choices", worker.id),
            json!({"setting": "mode", "mode": "auto"}),
        ),
        (
            "PUT",
            format!("/api/assistants/{}/secrets/API_KEY", worker.id),
            json!({"value": "x"}),
        ),
        (
            "POST",
            format!("/api/assistants/{}/check", worker.id),
            json!({}),
        ),
        (
            "PATCH",
            format!("/api/assistants/{}", worker.id),
            json!({"workspace": "/"}),
        ),
        (
            "POST",
            "/api/agents/check".to_owned(),
            json!({"agent": {"kind": "shell"}}),
        ),
        (
            "POST",
            "/api/workspaces".to_owned(),
            json!({"parent": "/tmp", "name": "x"}),
        ),
        (
            "GET",
            format!("/api/assistants/{}/secrets", worker.id),
            json!(null),
        ),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = server
            .http
            .request(method.clone(), format!("{}{path}", server.url))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{method} {path}");
    }

    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let (status, _) = call(Some(token), json!({"tool": "list_tasks"})).await;
    assert_eq!(status, 401, "the token dies with its run");

    let (_, me) = server.get(&format!("/api/assistants/{}", worker.id)).await;
    assert_eq!(me["memory"], "The build uses cargo xtask.");
    let (_, journal) = server
        .get(&format!("/api/assistants/{}/journal", worker.id))
        .await;
    assert!(journal
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["text"] == "Learned how the build works."));
    let chat = until_json(
        &server,
        &format!("/api/assistants/{}/chat", worker.id),
        "the assistant's chat post",
        |b| {
            b.as_array()
                .is_some_and(|m| m.iter().any(|m| m["author_kind"] == "assistant"))
        },
    )
    .await;
    assert!(chat
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["text"] == "I handed the review to helper." && m["author"] == "worker"));
    // The helper was woken with the task.
    let wakes = until_json(
        &server,
        &format!("/api/assistants/{}/wakes", helper.id),
        "the helper's wake",
        |b| {
            b.as_array()
                .is_some_and(|w| w.iter().any(|w| w["trigger"] == "task"))
        },
    )
    .await;
    assert_eq!(wakes[0]["source"], "assistant worker");
}

/// An agent acts with the rights every member of its assistant shares: with
/// Ana, who cannot see Bo's assistant, among its members, its tools neither
/// see nor touch that assistant or its tasks; and the follow-up filed after
/// its failure is seen by its members only.
#[tokio::test]
async fn an_agents_tools_reach_only_what_all_its_members_see() {
    let server = TestServer::start().await;
    let ana = server.person("ana").await;
    let bo = server.person("bo").await;
    let theirs = server
        .scripted_assistant("theirs", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/members", theirs.id),
            json!({"user_id": bo.id}),
        )
        .await;
    assert!(status < 300, "{body}");
    let (status, secret) = server
        .post(
            "/api/tasks",
            json!({"title": "Secret plan", "assignee_id": theirs.id}),
        )
        .await;
    assert_eq!(status, 201, "{secret}");
    let secret_id = secret["id"].as_str().expect("an id").to_owned();
    let mine = server
        .scripted_assistant("mine", json!({"turns": [[
            {"do": "mcp", "tool": "list_tasks"},
            {"do": "mcp", "tool": "create_task", "arguments": {"title": "For them", "assignee": "theirs"}},
            {"do": "mcp", "tool": "create_task", "arguments": {"title": "For me", "assignee": theirs.id}},
            {"do": "mcp", "tool": "wake_assistant", "arguments": {"assistant": "theirs", "message": "hi"}},
            {"do": "mcp", "tool": "update_task", "arguments": {"id": secret_id, "status": "done"}},
            {"do": "crash", "code": 3}
        ]]}))
        .await;
    let (status, body) = server
        .post(
            &format!("/api/assistants/{}/members", mine.id),
            json!({"user_id": ana.id}),
        )
        .await;
    assert!(status < 300, "{body}");
    // Ana gives her assistant a task; its session fails.
    let (status, task) = ana
        .post(
            "/api/tasks",
            json!({"title": "Rotate the keys with sk-live-123", "assignee_id": mine.id}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    let tasks = until_json(&server, "/api/tasks", "the follow-up", |tasks| {
        tasks.as_array().is_some_and(|all| {
            all.iter()
                .any(|t| t["title"].as_str().unwrap_or("").starts_with("Follow up:"))
        })
    })
    .await;
    let follow_up = tasks
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|t| t["title"].as_str().unwrap_or("").starts_with("Follow up:"))
        })
        .cloned()
        .expect("a follow-up");
    assert_eq!(follow_up["private_to"], json!(mine.id), "{follow_up}");
    let (_, sessions) = server
        .get(&format!("/api/sessions?assistant_id={}", mine.id))
        .await;
    let session_id = sessions
        .as_array()
        .and_then(|all| all.first())
        .and_then(|s| s["id"].as_str())
        .expect("the session")
        .to_owned();
    let events = server
        .all_events(&tandem_shared::SessionId(session_id))
        .await;
    let said: String = events
        .iter()
        .filter_map(|e| match &e.body {
            tandem_shared::EventBody::AgentMessageChunk { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(!said.contains("Secret plan"), "{said}");
    for line in [
        "mcp list_tasks: ",
        "mcp create_task failed: assignee: no assistant called theirs",
        &format!(
            "mcp create_task failed: assignee: no assistant called {}",
            theirs.id
        ),
        "mcp wake_assistant failed: assistant: no assistant called theirs",
        &format!("mcp update_task failed: id: no task {secret_id}"),
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }
    let (_, still) = server.get(&format!("/api/tasks/{secret_id}")).await;
    assert_ne!(still["status"], "done", "{still}");
    let (_, wakes) = server
        .get(&format!("/api/assistants/{}/wakes", theirs.id))
        .await;
    assert_eq!(
        wakes.as_array().map(Vec::len),
        Some(1),
        "only the admin's task woke it: {wakes}"
    );
    // The follow-up, naming the failed task, is seen by Ana, not by Bo.
    let (_, anas) = ana.get("/api/tasks").await;
    let (_, bos) = bo.get("/api/tasks").await;
    let titles = |tasks: &Value| -> Vec<String> {
        tasks
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|t| t["title"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        titles(&anas).iter().any(|t| t.starts_with("Follow up:")),
        "{anas}"
    );
    assert!(
        !titles(&bos).iter().any(|t| t.contains("sk-live-123")),
        "{bos}"
    );
    let follow_up_id = follow_up["id"].as_str().expect("id");
    let (status, _) = bo.get(&format!("/api/tasks/{follow_up_id}")).await;
    assert_eq!(status, 404);
    let (status, _) = ana.get(&format!("/api/tasks/{follow_up_id}")).await;
    assert_eq!(status, 200);
}
