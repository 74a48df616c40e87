//! The agent adapters Tandem launches: pinned packages listed with the
//! version installed, and a Node.js too old for one told on the session and
//! in the agents list instead of a crash.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use tandem_shared::{Seq, SessionStatus};

/// A directory holding a `node` that answers `v18.19.0`.
fn old_node() -> tempfile::TempDir {
    crate::support::stand_in_tools(&[("node", "#!/bin/sh\necho v18.19.0\n".to_owned())])
}

#[tokio::test]
async fn the_agents_list_shows_pinned_packages_and_what_this_node_cannot_run() {
    let tools = old_node();
    let server = TestServer::launch().path_first(tools.path()).start().await;
    let (status, kinds) = server.get("/api/agents").await;
    assert_eq!(status, 200, "{kinds}");
    let kind = |name: &str| {
        kinds
            .as_array()
            .and_then(|all| all.iter().find(|k| k["kind"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {kinds}"))
    };
    let claude = kind("claude");
    assert_eq!(claude["package"], "@agentclientprotocol/claude-agent-acp");
    assert_eq!(claude["pinned_version"], "0.101.0");
    let problem = claude["problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("needs Node.js 22 or newer; this machine has v18.19.0"),
        "{claude}"
    );
    assert_eq!(kind("codex")["package"], "@agentclientprotocol/codex-acp");
    assert!(kind("codex")["problem"]
        .as_str()
        .is_some_and(|p| p.contains("Node.js 20")));
    assert!(kind("shell")["problem"].is_null());
}

#[tokio::test]
async fn a_session_of_an_agent_this_node_cannot_run_fails_with_the_reason() {
    let tools = old_node();
    let server = TestServer::launch().path_first(tools.path()).start().await;
    let workspace = server.data_dir.join("ws-claude");
    std::fs::create_dir_all(&workspace).expect("workspace");
    let (status, assistant) = server
        .post(
            "/api/assistants",
            json!({"name": "claude", "agent": {"kind": "claude"}, "workspace": workspace,
                   "persona": "A coding assistant."}),
        )
        .await;
    assert_eq!(status, 201, "{assistant}");
    let (status, session) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant["id"], "prompt": "hello"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let id = serde_json::from_value(session["id"].clone()).expect("id");
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    let (_, now) = server.get(&format!("/api/sessions/{id}")).await;
    assert!(
        now["status_reason"].as_str().is_some_and(
            |r| r.contains("Claude Code needs Node.js 22 or newer; this machine has v18.19.0")
        ),
        "{now}"
    );
}

/// "Check agent" starts the assistant's agent with its secrets in a scratch
/// directory and reports what it says of itself; a broken agent's error
/// comes back in its own words, and no process is left either way.
#[tokio::test]
async fn check_agent_reports_what_the_agent_says_of_itself() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "checked",
            json!({
                "modes": [{"id": "auto", "name": "Auto"}, {"id": "default", "name": "Default"}],
                "start_mode": "auto",
                "auth_methods": [{"id": "api-key", "name": "API key"}],
                "config_options": [{"id": "model", "name": "Model", "category": "model", "type": "select",
                    "currentValue": "small", "options": [{"value": "small", "name": "Small"}]}]
            }),
        )
        .await;
    let (status, found) = server
        .post(
            &format!("/api/assistants/{}/check", assistant.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        (&found["agent_name"], &found["agent_version"]),
        (&json!("test-agent"), &json!("1")),
        "{found}"
    );
    assert_eq!(found["auth_methods"], json!(["API key"]));
    assert_eq!(found["current_mode"], "auto");
    assert_eq!(found["modes"].as_array().map(Vec::len), Some(2));
    assert_eq!(found["options"][0]["id"], "model");
    assert!(found["error"].is_null(), "{found}");

    let broken = server
        .scripted_assistant(
            "broken",
            json!({"init_error": {"code": 1001, "message": "obsolete setting", "data": {"restartable": true}}}),
        )
        .await;
    let (status, found) = server
        .post(&format!("/api/assistants/{}/check", broken.id), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        found["error"],
        "the agent answered initialize with an error: obsolete setting (code 1001, data {\"restartable\":true})"
    );
    crate::support::until_no_process_mentions(&server.scenario_path("checked")).await;
    crate::support::until_no_process_mentions(&server.scenario_path("broken")).await;

    let stranger = server.person("mallory").await;
    let (status, _) = stranger
        .post(
            &format!("/api/assistants/{}/check", assistant.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "a stranger cannot start another team's agent");
}
