//! Where assistants work: every account picks or makes a folder below the
//! workspace root; only an admin may pick one elsewhere; nobody may work in
//! a folder that holds Tandem's data. Links and `..` are judged where they
//! lead. Changing an assistant's agent or workspace makes its next run cold.

use crate::support::{run_to_end, TestServer, Viewer};
use serde_json::json;
use tandem_shared::{EventBody, Seq, StartMode};

fn claude_assistant(workspace: &str) -> serde_json::Value {
    json!({"name": "worker", "agent": {"kind": "claude"}, "workspace": workspace,
           "persona": "Writes code."})
}

#[tokio::test]
async fn a_member_works_below_the_root_and_nowhere_else() {
    let server = TestServer::start().await;
    let root = server
        .data_dir
        .join("workspaces")
        .canonicalize()
        .expect("the root is made at start");
    let bea = server.person("bea").await;

    let (status, listing) = bea.get("/api/workspaces").await;
    assert_eq!(status, 200, "{listing}");
    assert_eq!(listing["path"], root.display().to_string());
    assert_eq!(listing["may_use"], true);
    assert!(listing["parent"].is_null(), "above the root is the data");
    let (status, made) = bea
        .post(
            "/api/workspaces",
            json!({"parent": root, "name": "bea-app"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let app = root.join("bea-app");
    assert_eq!(made["path"], app.display().to_string());
    assert!(app.is_dir());
    let (status, listing) = bea.get("/api/workspaces").await;
    assert_eq!(status, 200);
    assert!(listing["directories"]
        .as_array()
        .is_some_and(|d| d.contains(&json!("bea-app"))));

    let (status, created) = bea
        .post(
            "/api/assistants",
            claude_assistant(&app.display().to_string()),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    // Everything else is refused, each in words, and nothing is made: a
    // place the caller may not use is forbidden, one not there not found,
    // a malformed path a bad request.
    std::os::unix::fs::symlink("/etc", root.join("escape")).expect("link");
    let escape = root.join("escape").display().to_string();
    let dots = format!("{}/../..", app.display());
    for (workspace, wanted, says) in [
        ("/etc", 403, "only an admin"),
        ("/", 403, "holds Tandem's data directory"),
        (escape.as_str(), 403, "only an admin"),
        (dots.as_str(), 403, "holds Tandem's data directory"),
        ("relative", 400, "not an absolute path"),
        ("/no/such/dir", 404, "not an existing directory"),
    ] {
        let (status, body) = bea
            .post("/api/assistants", claude_assistant(workspace))
            .await;
        assert_eq!(status, wanted, "{workspace}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{workspace}: {message}");
    }
    let (status, body) = bea.get("/api/workspaces?path=/etc").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = bea
        .post("/api/workspaces", json!({"parent": "/tmp", "name": "x"}))
        .await;
    assert_eq!(status, 403, "{body}");
    for bad in ["..", "a/b", ".hidden", ""] {
        let (status, body) = bea
            .post("/api/workspaces", json!({"parent": root, "name": bad}))
            .await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    let (status, body) = bea
        .post(
            "/api/workspaces",
            json!({"parent": root, "name": "bea-app"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("already exists")));

    // Moving an assistant out later is refused the same way; nothing changes.
    let id = created["id"].as_str().unwrap_or_default();
    let (status, body) = bea
        .patch(
            &format!("/api/assistants/{id}"),
            json!({"workspace": "/etc", "name": "renamed"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (_, kept) = bea.get(&format!("/api/assistants/{id}")).await;
    assert_eq!(
        (kept["name"].clone(), kept["workspace"].clone()),
        (json!("worker"), json!(app.display().to_string()))
    );
    let (status, body) = bea
        .patch(
            &format!("/api/assistants/{id}"),
            json!({"agent": {"kind": "custom", "command": "/bin/sh"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // An admin may work elsewhere, but never where Tandem keeps its data.
    let (status, listing) = server.get("/api/workspaces?path=/etc").await;
    assert_eq!(status, 200, "{listing}");
    let (status, body) = server
        .post(
            "/api/assistants",
            claude_assistant(&server.data_dir.display().to_string()),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.post("/api/assistants", claude_assistant("/")).await;
    assert_eq!(status, 403, "{body}");
    let elsewhere = tempfile::tempdir().expect("dir");
    let (status, body) = server
        .post(
            "/api/assistants",
            claude_assistant(&elsewhere.path().display().to_string()),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_new_agent_or_workspace_starts_the_next_run_cold_with_the_reason() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "mover",
            json!({"load_session": true, "turns": [[{"do": "message", "text": "ok"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    run_to_end(&server, &mut viewer, &session.id, "warm").await;

    let elsewhere = server.data_dir.join("ws-mover-2");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    let (status, body) = server
        .patch(
            &format!("/api/assistants/{}", assistant.id),
            json!({"workspace": elsewhere}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, kept) = server
        .get(&format!("/api/assistants/{}", assistant.id))
        .await;
    assert_eq!(
        kept["workspace"],
        json!(elsewhere.canonicalize().expect("dir").display().to_string())
    );
    // Its "edits inside the workspace" rules moved with it.
    let (_, rules) = server
        .get(&format!("/api/assistants/{}/rules", assistant.id))
        .await;
    let prefixes: Vec<&str> = rules
        .as_array()
        .map(|all| all.iter().filter_map(|r| r["prefix"].as_str()).collect())
        .unwrap_or_default();
    let moved = elsewhere.canonicalize().expect("dir").display().to_string();
    assert_eq!(prefixes, vec![moved.as_str(), moved.as_str()], "{rules}");
    run_to_end(&server, &mut viewer, &session.id, "moved").await;
    let starts: Vec<(StartMode, String)> = viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Continuity { mode, reason, .. } => {
                Some((*mode, reason.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert_eq!(starts[1].0, StartMode::Warm, "{starts:?}");
    assert_eq!(
        starts[2],
        (
            StartMode::Cold,
            "the persona, constitution, agent or workspace changed".to_owned()
        )
    );
}

/// "Check agent" before an assistant exists: any account checks a built-in
/// agent with typed secrets; a custom command is an admin's; what a good
/// check found is kept for the next form.
#[tokio::test]
async fn an_agent_is_checked_before_its_assistant_exists_and_the_finding_is_kept() {
    let server = TestServer::start().await;
    let bea = server.person("bea").await;
    let (status, probe) = bea
        .post(
            "/api/agents/check",
            json!({"agent": {"kind": "shell"}, "secrets": [{"name": "GATEWAY_URL", "value": "http://127.0.0.1:9"}]}),
        )
        .await;
    assert_eq!(status, 200, "{probe}");
    assert!(probe["error"].is_null(), "{probe}");
    assert!(probe["agent_name"].is_string(), "{probe}");
    let (_, kinds) = bea.get("/api/agents").await;
    let shell = kinds
        .as_array()
        .and_then(|all| all.iter().find(|k| k["kind"] == "shell"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(shell["last_check"]["agent_name"], probe["agent_name"]);
    assert!(
        !shell.to_string().contains("127.0.0.1:9"),
        "a typed secret is kept"
    );

    let (status, body) = bea
        .post(
            "/api/agents/check",
            json!({"agent": {"kind": "custom", "command": "/bin/sh"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    for (body, says) in [
        (
            json!({"agent": {"kind": "shell"}, "secrets": [{"name": "PATH", "value": "/tmp"}]}),
            "PATH",
        ),
        (json!({"agent": {"kind": "robot"}}), "agent"),
        (json!([1, 2]), ""),
    ] {
        let (status, answer) = bea.post("/api/agents/check", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{answer}"
        );
    }
    // An agent that cannot start says why, and nothing is kept of it.
    let (status, probe) = server
        .post(
            "/api/agents/check",
            json!({"agent": {"kind": "custom", "command": "/nonexistent/agent"}}),
        )
        .await;
    assert_eq!(status, 200, "{probe}");
    assert!(
        probe["error"]
            .as_str()
            .is_some_and(|e| e.contains("/nonexistent/agent")),
        "{probe}"
    );
}
