//! Runners: a `tandem runner` process on this machine (its own data
//! directory, on loopback, through a TCP relay the test can cut) runs a
//! session for the hub; the link drops mid-stream and every line still
//! arrives once, in order; a runner gone too long leaves its session
//! interrupted; its token opens nothing but its link; revoking it ends it.

use crate::support::{tandem_bin, ws_request, TestServer, Viewer};
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::{EventBody, Seq, SessionStatus};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

/// A TCP relay to the hub that the test can cut: open connections close,
/// and new ones are refused until it is mended. Pointed at another server,
/// it is a load balancer sending the next connection elsewhere.
pub(crate) struct Relay {
    addr: String,
    cut: Arc<Notify>,
    down: Arc<AtomicBool>,
    upstream: Arc<std::sync::Mutex<String>>,
}

impl Relay {
    pub(crate) async fn to(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("addr").to_string();
        let upstream = Arc::new(std::sync::Mutex::new(
            upstream.trim_start_matches("http://").to_owned(),
        ));
        let cut = Arc::new(Notify::new());
        let down = Arc::new(AtomicBool::new(false));
        {
            let cut = cut.clone();
            let down = down.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if down.load(Ordering::Acquire) {
                        continue;
                    }
                    let target = upstream.lock().expect("upstream").clone();
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        continue;
                    };
                    let cut = cut.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cut.notified() => {}
                        }
                    });
                }
            });
        }
        Relay {
            addr,
            cut,
            down,
            upstream,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every open connection and refuses new ones until `come_up`.
    pub(crate) fn go_down(&self) {
        self.down.store(true, Ordering::Release);
        self.cut.notify_waiters();
    }

    pub(crate) fn come_up(&self) {
        self.down.store(false, Ordering::Release);
    }

    /// New connections go to `upstream`; open ones are cut.
    pub(crate) fn send_to(&self, upstream: &str) {
        *self.upstream.lock().expect("upstream") =
            upstream.trim_start_matches("http://").to_owned();
        self.cut.notify_waiters();
    }

    /// Cuts every open connection and refuses new ones for `outage`.
    async fn cut_for(&self, outage: Duration) {
        self.down.store(true, Ordering::Release);
        self.cut.notify_waiters();
        tokio::time::sleep(outage).await;
        self.down.store(false, Ordering::Release);
    }
}

pub(crate) async fn add_runner(hub: &TestServer, name: &str) -> (String, String) {
    let (status, body) = hub.post("/api/runners", json!({"name": name})).await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("trn_"));
    (body["runner"]["id"].as_str().expect("id").to_owned(), token)
}

pub(crate) fn start_runner(
    hub_url: &str,
    token: &str,
    data: &std::path::Path,
    root: &std::path::Path,
) -> Child {
    Command::new(tandem_bin())
        .args(["runner", "--hub", hub_url, "--token", token])
        .arg("--data-dir")
        .arg(data)
        .arg("--workspace-root")
        .arg(root)
        .args(["--agent-env", "RUNNER_MARK"])
        .env("RUNNER_MARK", "on-the-laptop")
        .env("TANDEM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the runner")
}

pub(crate) async fn until_connected(hub: &TestServer, runner_id: &str, connected: bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, runners) = hub.get("/api/runners").await;
        if let Some(runner) = runners
            .as_array()
            .and_then(|all| all.iter().find(|r| r["id"] == runner_id))
        {
            if runner["connected"] == connected {
                return runner.clone();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the runner never became connected={connected}: {runners}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An assistant whose sessions run on the runner.
pub(crate) async fn assistant_on(
    hub: &TestServer,
    runner_id: &str,
    name: &str,
    scenario: Value,
) -> String {
    let assistant = hub.scripted_assistant(name, scenario).await;
    let (status, body) = hub
        .put_json(
            &format!("/api/assistants/{}/runner", assistant.id),
            json!({"runner_id": runner_id}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assistant.id.0
}

#[tokio::test]
async fn a_runner_runs_a_session_and_a_dropped_link_loses_and_doubles_nothing() {
    let hub = TestServer::start().await;
    let relay = Relay::to(&hub.url).await;
    let (runner_id, token) = add_runner(&hub, "laptop").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let mut runner = start_runner(&relay.url(), &token, runner_data.path(), &hub.data_dir);
    let listed = until_connected(&hub, &runner_id, true).await;
    assert!(
        listed["agent_kinds"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "custom")),
        "{listed}"
    );
    let assistant = assistant_on(
        &hub,
        &runner_id,
        "remote",
        json!({"turns": [[
            {"do": "env", "name": "RUNNER_MARK"},
            {"do": "stream", "count": 300, "interval_ms": 15},
            {"do": "message", "text": " done"}
        ]]}),
    )
    .await;
    let (status, session) = hub
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "stream"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let session_id = tandem_shared::SessionId(session["id"].as_str().unwrap_or_default().into());
    let mut viewer = Viewer::connect(&hub).await;
    viewer.subscribe(&session_id, Seq::ZERO).await;
    viewer
        .until("the stream to be under way", |v| {
            v.agent_text().contains("chunk 40 ")
        })
        .await;
    // The link drops for two seconds; the agent goes on writing.
    relay.cut_for(Duration::from_secs(2)).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    viewer.assert_contiguous();
    let expected: String = (0..300).map(|i| format!("chunk {i} ")).collect();
    let text = viewer.agent_text();
    assert!(
        text.starts_with("RUNNER_MARK=on-the-laptop"),
        "ran on the runner: {text:.80}"
    );
    assert!(
        text.contains(&format!("{expected} done")),
        "every chunk once, in order: {}",
        &text[..text.len().min(400)]
    );
    assert!(viewer.events.iter().any(|e| matches!(
        &e.body,
        EventBody::Notice { text } if text.contains("runner `laptop`")
    )));
    // It said it lost the link and came back.
    let _ = runner.start_kill();
    let output = runner.wait_with_output().await.expect("runner output");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("dropped"), "{said}");
    assert!(said.matches("Linked to the hub").count() >= 2, "{said}");
}

#[tokio::test]
async fn a_runner_out_of_reach_too_long_leaves_its_session_interrupted() {
    let hub = TestServer::launch()
        .arg("--runner-timeout", "2")
        .start()
        .await;
    let (runner_id, token) = add_runner(&hub, "flaky").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let mut runner = start_runner(&hub.url, &token, runner_data.path(), &hub.data_dir);
    until_connected(&hub, &runner_id, true).await;
    let assistant = assistant_on(
        &hub,
        &runner_id,
        "gone",
        json!({"turns": [[{"do": "stream", "count": 1000, "interval_ms": 50}]]}),
    )
    .await;
    let (_, session) = hub
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "go"}),
        )
        .await;
    let session_id = tandem_shared::SessionId(session["id"].as_str().unwrap_or_default().into());
    let mut viewer = Viewer::connect(&hub).await;
    viewer.subscribe(&session_id, Seq::ZERO).await;
    viewer
        .until("the stream to start", |v| {
            v.agent_text().contains("chunk 2 ")
        })
        .await;
    runner.kill().await.expect("kill -9 the runner");
    viewer.until_status(SessionStatus::Interrupted).await;
    let (_, listed) = hub.get(&format!("/api/sessions/{session_id}")).await;
    assert_eq!(listed["status"], "interrupted", "{listed}");
    assert!(
        listed["status_reason"]
            .as_str()
            .unwrap_or("")
            .contains("out of reach"),
        "{listed}"
    );
    until_connected(&hub, &runner_id, false).await;
    // With the runner away, a new session says so.
    let (_, again) = hub
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "again"}),
        )
        .await;
    let again = tandem_shared::SessionId(again["id"].as_str().unwrap_or_default().into());
    let mut viewer = Viewer::connect(&hub).await;
    viewer.subscribe(&again, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Failed);
    assert!(
        viewer.error_text().contains("not connected"),
        "{}",
        viewer.error_text()
    );
}

#[tokio::test]
async fn a_runner_token_opens_its_link_and_nothing_else_and_revoking_ends_it() {
    let hub = TestServer::start().await;
    let (runner_id, token) = add_runner(&hub, "ci-box").await;
    let as_runner = crate::support::client_with_token(&token);
    for path in [
        "/api/assistants",
        "/api/sessions",
        "/api/runners",
        "/api/servers",
        "/api/tasks",
    ] {
        let status = as_runner
            .get(format!("{}{path}", hub.url))
            .send()
            .await
            .expect("get")
            .status();
        assert_eq!(status.as_u16(), 401, "{path} with a runner token");
    }
    let status = as_runner
        .post(format!("{}/api/runners", hub.url))
        .json(&json!({"name": "more"}))
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status.as_u16(), 401);
    // The people's socket does not take it either.
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_request(&hub.ws_url(), &token))
        .await
        .expect("socket");
    use futures_util::StreamExt;
    let first = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer");
    let said = format!("{first:?}");
    assert!(
        said.contains("unauthorized") || said.contains("Close"),
        "{said}"
    );
    // A person's token does not open a runner's link.
    let link = format!("{}/api/runner/connect", hub.url.replacen("http", "ws", 1));
    let refused = tokio_tungstenite::connect_async(ws_request(&link, &hub.token)).await;
    assert!(refused.is_err(), "a person's token opened a runner link");

    // A plain member may neither list nor add runners.
    let member = hub.person("mo").await;
    assert_eq!(member.get("/api/runners").await.0, 403);
    assert_eq!(
        member.post("/api/runners", json!({"name": "mine"})).await.0,
        403
    );
    // Bad names and a taken one.
    for bad in [
        json!({"name": ""}),
        json!({"name": "a b"}),
        json!({"name": "x".repeat(65)}),
        json!({}),
    ] {
        let (status, body) = hub.post("/api/runners", bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }
    assert_eq!(
        hub.post("/api/runners", json!({"name": "ci-box"})).await.0,
        409
    );
    let (status, _) = hub
        .put_json(
            "/api/assistants/ast_none/runner",
            json!({"runner_id": runner_id}),
        )
        .await;
    assert_eq!(status, 404);
    let demo = hub.demo_assistant().await;
    let (status, body) = hub
        .put_json(
            &format!("/api/assistants/{}/runner", demo.id),
            json!({"runner_id": "run_nope"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // Garbage on the link closes that link, and only that.
    let (mut garbage, _) = tokio_tungstenite::connect_async(ws_request(&link, &token))
        .await
        .expect("the runner's link opens");
    use futures_util::SinkExt;
    garbage
        .send(tokio_tungstenite::tungstenite::Message::Text(
            "not a hello".into(),
        ))
        .await
        .expect("send");
    let answer = tokio::time::timeout(Duration::from_secs(5), garbage.next())
        .await
        .expect("an answer");
    assert!(format!("{answer:?}").contains("refused"), "{answer:?}");
    assert_eq!(hub.get("/api/health").await.0, 200);

    // A hello naming processes no run of this runner has: the welcome
    // wants none of them (nothing is taken over by naming it); one naming
    // too many is refused.
    let hello = |count: usize| {
        let processes: Vec<Value> = (0..count)
            .map(|i| json!({"process": format!("prc_guess_{i}"), "lines": 0, "stdin": 0, "exited": null}))
            .collect();
        json!({"type": "hello", "version": "0", "agent_kinds": [], "workspace_roots": [],
            "tandem_exe": "", "hub": "", "processes": processes})
        .to_string()
    };
    for (count, expected) in [(3, "\"wanted\":[]"), (1001, "at most 1000 processes")] {
        let (mut link_socket, _) = tokio_tungstenite::connect_async(ws_request(&link, &token))
            .await
            .expect("the runner's link opens");
        link_socket
            .send(tokio_tungstenite::tungstenite::Message::Text(
                hello(count).into(),
            ))
            .await
            .expect("send");
        let answer = match tokio::time::timeout(Duration::from_secs(5), link_socket.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) => text.to_string(),
            other => panic!("{count}: {other:?}"),
        };
        assert!(answer.contains(expected), "{count}: {answer}");
    }

    // Revoked while linked: the runner stops, saying why; the token is dead.
    let runner_data = tempfile::tempdir().expect("temp dir");
    let runner = start_runner(&hub.url, &token, runner_data.path(), &hub.data_dir);
    until_connected(&hub, &runner_id, true).await;
    let (status, _) = hub.delete(&format!("/api/runners/{runner_id}")).await;
    assert_eq!(status, 204);
    let output = tokio::time::timeout(Duration::from_secs(10), runner.wait_with_output())
        .await
        .expect("the runner stops")
        .expect("output");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("revoked"), "{said}");
    assert!(tokio_tungstenite::connect_async(ws_request(&link, &token))
        .await
        .is_err());
    let (_, runners) = hub.get("/api/runners").await;
    assert!(runners[0]["revoked_at"].as_i64().is_some(), "{runners}");
}

#[tokio::test]
async fn approvals_wait_across_a_dropped_link_both_ways() {
    let hub = TestServer::start().await;
    let relay = Arc::new(Relay::to(&hub.url).await);
    let (runner_id, token) = add_runner(&hub, "desk").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let _runner = start_runner(&relay.url(), &token, runner_data.path(), &hub.data_dir);
    until_connected(&hub, &runner_id, true).await;
    let assistant = assistant_on(
        &hub,
        &runner_id,
        "asker",
        json!({"turns": [[
            {"do": "stream", "count": 20, "interval_ms": 50},
            {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
            {"do": "message", "text": "first done. "},
            {"do": "permission", "id": "p2", "title": "Tag", "kind": "execute"},
            {"do": "message", "text": "second done."}
        ]]}),
    )
    .await;
    let (_, session) = hub
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "go"}),
        )
        .await;
    let session_id = tandem_shared::SessionId(session["id"].as_str().unwrap_or_default().into());
    let mut viewer = Viewer::connect(&hub).await;
    viewer.subscribe(&session_id, Seq::ZERO).await;
    viewer
        .until("the stream to start", |v| {
            v.agent_text().contains("chunk 3 ")
        })
        .await;
    // The agent asks while the link is down: the question waits on the
    // runner's disk and arrives when the link is back.
    relay.cut_for(Duration::from_millis(2500)).await;
    let (first, options) = viewer.until_approval().await;
    let (status, body) = hub
        .post(
            &format!("/api/approvals/{first}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    viewer
        .until("the second question", |v| {
            v.pending_approval().is_some_and(|(id, _)| id != first)
        })
        .await;
    let (second, options) = viewer.pending_approval().expect("the second approval");
    // Answered while the link is down: the answer waits on the hub and is
    // written to the agent once the runner is back.
    let cut = {
        let relay = relay.clone();
        tokio::spawn(async move { relay.cut_for(Duration::from_secs(3)).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = hub
        .post(
            &format!("/api/approvals/{second}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    cut.await.expect("the cut");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    viewer.assert_contiguous();
    let text = viewer.agent_text();
    assert!(text.contains("first done. second done."), "{text}");
}
