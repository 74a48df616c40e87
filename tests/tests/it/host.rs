//! No path from an account to the host. Each test is an attack that once
//! worked, refused now: a plain account giving an assistant the shell agent
//! (the first of four steps to an admin token), an agent reading the
//! server's own secrets from its environment.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use tandem_shared::{Seq, SessionStatus};

/// Once: a plain account made a `shell` assistant with workspace `/`, asked
/// it to run `tandem token create --user admin`, approved it, and used the
/// admin token. Now the first step is refused, whatever the workspace.
#[tokio::test]
async fn a_plain_account_cannot_give_an_assistant_the_shell() {
    let server = TestServer::start().await;
    let mallory = server.person("mallory").await;
    let root = server
        .data_dir
        .join("workspaces")
        .canonicalize()
        .expect("root");
    for workspace in ["/".to_owned(), root.display().to_string()] {
        let (status, body) = mallory
            .post(
                "/api/assistants",
                json!({"name": "pwn", "agent": {"kind": "shell"}, "workspace": workspace,
                       "persona": "Runs what it is told."}),
            )
            .await;
        assert_eq!(status, 403, "{workspace}: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("only an admin")));
    }
    // Nor by turning an assistant of theirs into one.
    let (status, mine) = mallory
        .post(
            "/api/assistants",
            json!({"name": "mine", "agent": {"kind": "claude"}, "workspace": root,
                   "persona": "Writes code."}),
        )
        .await;
    assert_eq!(status, 201, "{mine}");
    let id = mine["id"].as_str().unwrap_or_default();
    let (status, body) = mallory
        .patch(
            &format!("/api/assistants/{id}"),
            json!({"agent": {"kind": "shell"}}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (_, kept) = mallory.get(&format!("/api/assistants/{id}")).await;
    assert_eq!(kept["agent"]["kind"], "claude");
    // An admin still may.
    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "ops", "agent": {"kind": "shell"}, "workspace": root,
                   "persona": "Runs commands."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// An agent gets what programs need, its assistant's secrets and what an
/// admin passes on purpose — never the rest of the server's environment.
#[tokio::test]
async fn an_agent_never_sees_the_servers_secrets() {
    let server = TestServer::launch()
        .env("GITHUB_TOKEN", "ghp-server-only")
        .env("OPENAI_API_KEY", "sk-passed-on-purpose")
        .env("TANDEM_AGENT_ENV", "OPENAI_API_KEY")
        .start()
        .await;
    let assistant = server
        .scripted_assistant(
            "nosy",
            json!({"turns": [[
                {"do": "env", "name": "GITHUB_TOKEN"},
                {"do": "env", "name": "OPENAI_API_KEY"},
                {"do": "env", "name": "TANDEM_AGENT_ENV"},
                {"do": "env", "name": "HOME"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "look around").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let said = viewer.agent_text();
    assert!(said.contains("GITHUB_TOKEN unset"), "{said}");
    assert!(
        said.contains("OPENAI_API_KEY=sk-passed-on-purpose"),
        "{said}"
    );
    assert!(said.contains("TANDEM_AGENT_ENV unset"), "{said}");
    assert!(!said.contains("HOME unset"), "{said}");
}

/// Every answer, page or API, carries the headers that keep other sites
/// out: only this origin's scripts (the app's inline start-up by its hash),
/// no framing, no referrer, no sniffing.
#[tokio::test]
async fn every_answer_keeps_other_sites_out() {
    let server = TestServer::start().await;
    for path in ["/", "/api/health", "/api/nothing-here", "/sessions/x"] {
        let response = server
            .http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .expect("request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("'unsafe-eval'"), "{path}: {policy}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
}

/// A request as a page at `host` sends it: its own name in `Host`, and for
/// a write the same origin.
fn from_host(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    host: &str,
) -> reqwest::RequestBuilder {
    let port = server.url.rsplit(':').next().unwrap_or("").to_owned();
    reqwest::Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("Host", format!("{host}:{port}"))
        .header("Origin", format!("http://{host}:{port}"))
}

/// Once: a page on another site pointed its own name at this machine (DNS
/// rebinding); its `Host` and `Origin` agreed, so it made the first admin of
/// a fresh install before the owner did. Now a name Tandem was not told of
/// gets nothing, the app's pages included.
#[tokio::test]
async fn a_rebinding_page_gets_nothing_and_cannot_claim_a_fresh_install() {
    let server = TestServer::launch().without_accounts().start().await;
    for (method, path) in [
        (reqwest::Method::GET, "/"),
        (reqwest::Method::GET, "/api/auth/state"),
        (reqwest::Method::GET, "/api/health"),
        (reqwest::Method::POST, "/api/auth/setup"),
    ] {
        let response = from_host(&server, method.clone(), path, "rebind.example")
            .json(&json!({"name": "mallory", "password": "correct horse battery"}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 403, "{method} {path}");
        let body: serde_json::Value = response.json().await.expect("a JSON error");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains("does not answer to the host rebind.example")
                && message.contains("--allowed-host"),
            "{message}"
        );
    }
    let (_, state) = server.get("/api/auth/state").await;
    assert_eq!(state["setup_needed"], true, "still unclaimed: {state}");
    assert_eq!(
        state["setup_code_needed"], false,
        "a local page needs no code"
    );
}

/// At a name the operator allowed (or from another machine), the first
/// admin needs the one-time code Tandem printed on its console.
#[tokio::test]
async fn setup_at_another_name_needs_the_console_code() {
    let server = TestServer::launch()
        .without_accounts()
        .env("TANDEM_ALLOWED_HOSTS", "tandem.test")
        .start()
        .await;
    let printed = server
        .console
        .iter()
        .find_map(|line| line.split("setup code ").nth(1))
        .map(|code| code.trim().to_owned())
        .expect("the setup code on the console");
    let state: serde_json::Value = from_host(
        &server,
        reqwest::Method::GET,
        "/api/auth/state",
        "tandem.test",
    )
    .send()
    .await
    .expect("request")
    .json()
    .await
    .expect("json");
    assert_eq!(state["setup_code_needed"], true, "{state}");
    let admin = json!({"name": "owner", "password": "correct horse battery"});
    for (code, status, says) in [
        (None, 403, "needs the setup code"),
        (Some("AAAA-BBBB-CCCC"), 403, "not the setup code"),
    ] {
        let mut body = admin.clone();
        if let Some(code) = code {
            body["setup_code"] = json!(code);
        }
        let response = from_host(
            &server,
            reqwest::Method::POST,
            "/api/auth/setup",
            "tandem.test",
        )
        .json(&body)
        .send()
        .await
        .expect("request");
        assert_eq!(response.status().as_u16(), status);
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(says),
            "{body}"
        );
    }
    let mut body = admin.clone();
    body["setup_code"] = json!(printed.to_lowercase());
    let response = from_host(
        &server,
        reqwest::Method::POST,
        "/api/auth/setup",
        "tandem.test",
    )
    .json(&body)
    .send()
    .await
    .expect("request");
    assert_eq!(response.status().as_u16(), 201);
    let (_, state) = server.get("/api/auth/state").await;
    assert_eq!(state["setup_needed"], false);
}

#[tokio::test]
async fn a_bad_public_origin_is_a_clear_error() {
    let outcome = std::process::Command::new(crate::support::tandem_bin())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--public-origin",
            "tandem.example.com",
        ])
        .arg("--data-dir")
        .arg(tempfile::tempdir().expect("dir").path())
        .output()
        .expect("run tandem");
    assert!(!outcome.status.success());
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert!(
        stderr.contains("--public-origin: tandem.example.com is not an origin"),
        "{stderr}"
    );
}
