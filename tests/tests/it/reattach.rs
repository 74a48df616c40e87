//! A runner's agent outlives the server speaking to it: two servers on one
//! PostgreSQL, a runner linked through a relay the test points elsewhere
//! (a load balancer). When the session's server is killed, or merely loses
//! the runner's link to the other server, the other server takes the
//! session over mid-turn (an answer the dead server kept for the runner
//! while its link was down included) — its pending approval, the rest of the turn, every
//! line once, in order — and the agent is never started again.

use crate::cluster::servers_on_one_database;
use crate::runners::{add_runner, assistant_on, start_runner, until_connected, Relay};
use crate::support::{TestServer, Viewer};
use serde_json::{json, Value};
use std::time::Duration;
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};

/// Twenty chunks, an approval, two hundred chunks, a tool call through
/// Tandem's MCP server (started now, so it calls whichever server the load
/// balancer picks, with the token the first server issued), then " done".
fn scenario() -> Value {
    json!({"turns": [[
        {"do": "stream", "count": 20, "interval_ms": 10},
        {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
        {"do": "stream", "count": 200, "interval_ms": 5},
        {"do": "mcp", "tool": "read_memory"},
        {"do": "message", "text": " done"}
    ]]})
}

fn expected_chunks() -> String {
    let first: String = (0..20).map(|i| format!("chunk {i} ")).collect();
    let second: String = (0..200).map(|i| format!("chunk {i} ")).collect();
    format!("{first}{second}")
}

async fn start(server: &TestServer, assistant: &str) -> SessionId {
    let (status, session) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "deploy"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    SessionId(session["id"].as_str().unwrap_or_default().into())
}

/// Answers the approval on `server`, as soon as a server runs the session
/// again (until then it has no actor to take the answer).
async fn approve_when_taken_over(server: &TestServer, approval: &str, option: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server
            .post(
                &format!("/api/approvals/{approval}/decision"),
                json!({"option_id": option}),
            )
            .await;
        if status == 200 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the approval was never answerable again: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn taken_over(viewer: &Viewer) -> bool {
    viewer.events.iter().any(|e| {
        matches!(
            &e.body,
            EventBody::Notice { text } if text.contains("took this session over")
        )
    })
}

/// The whole turn arrived once, in order, with no interruption on the way,
/// and the server that took it over said so.
fn assert_one_unbroken_turn(viewer: &Viewer) {
    viewer.assert_contiguous();
    let text = viewer.agent_text();
    let chunks = expected_chunks();
    assert_eq!(
        text.get(..chunks.len()),
        Some(chunks.as_str()),
        "every chunk once, in order: {text}"
    );
    let rest = &text[chunks.len()..];
    assert!(
        rest.starts_with("mcp read_memory: ") && rest.ends_with(" done"),
        "the run's tool token works on the server that took it over: {rest}"
    );
    assert!(
        !viewer.events.iter().any(|e| matches!(
            &e.body,
            EventBody::StatusChange { status, .. } if *status == SessionStatus::Interrupted
        )),
        "the session was never interrupted"
    );
    assert!(
        taken_over(viewer),
        "the transcript says the session changed servers"
    );
    let requests = viewer
        .events
        .iter()
        .filter(|e| matches!(&e.body, EventBody::PermissionRequest { .. }))
        .count();
    assert_eq!(requests, 1, "the approval was asked once");
}

#[tokio::test]
async fn a_runners_agent_outlives_a_killed_server_and_another_server_takes_its_session_over() {
    let mut cluster = servers_on_one_database(2).await;
    let relay = Relay::to(&cluster.servers[0].url).await;
    let (runner_id, token) = add_runner(&cluster.servers[0], "laptop").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let root = cluster.servers[0].data_dir.clone();
    let _runner = start_runner(&relay.url(), &token, runner_data.path(), &root);
    until_connected(&cluster.servers[0], &runner_id, true).await;
    let assistant = assistant_on(&cluster.servers[0], &runner_id, "outlives", scenario()).await;
    let session = start(&cluster.servers[0], &assistant).await;
    let mut on_b = Viewer::connect(&cluster.servers[1]).await;
    on_b.subscribe(&session, Seq::ZERO).await;
    let (approval, options) = on_b.until_approval().await;

    // A dies with the agent waiting on a person; the runner's next link
    // goes to B.
    relay.send_to(&cluster.servers[1].url);
    cluster.servers[0].kill().await;
    let b = &cluster.servers[1];
    // Once A's lease runs out, B takes the session over and says so.
    on_b.until("B to take the session over", taken_over).await;
    approve_when_taken_over(b, &approval, &options[0]).await;
    assert_eq!(on_b.until_ended().await, SessionStatus::Completed);
    assert_one_unbroken_turn(&on_b);
    let (_, listed) = b.get(&format!("/api/sessions/{session}")).await;
    assert_eq!(listed["status"], "completed", "{listed}");
    // The run's record is gone with it: nothing is left to take over.
    let (_, runners) = b.get("/api/runners").await;
    let laptop = runners
        .as_array()
        .and_then(|all| all.iter().find(|r| r["id"] == runner_id.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(laptop["connected"], true, "{laptop}");
}

#[tokio::test]
async fn a_runner_that_links_to_another_server_takes_its_running_session_with_it() {
    let cluster = servers_on_one_database(2).await;
    let [a, b] = &cluster.servers[..] else {
        panic!("two servers")
    };
    let relay = Relay::to(&a.url).await;
    let (runner_id, token) = add_runner(a, "build-box").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let _runner = start_runner(&relay.url(), &token, runner_data.path(), &a.data_dir);
    until_connected(a, &runner_id, true).await;
    let assistant = assistant_on(a, &runner_id, "moves", scenario()).await;
    let session = start(a, &assistant).await;
    let mut on_a = Viewer::connect(a).await;
    on_a.subscribe(&session, Seq::ZERO).await;
    let (approval, options) = on_a.until_approval().await;
    // Either server counts the session as running on the runner.
    let (_, listed) = b.get("/api/runners").await;
    assert_eq!(listed[0]["live_sessions"], 1, "{listed}");

    // The load balancer sends the runner's next link to B while A lives:
    // A lets go of the agent and B goes on with it.
    relay.send_to(&b.url);
    // Answered on A, which forwards it to whichever server runs it.
    approve_when_taken_over(a, &approval, &options[0]).await;
    assert_eq!(on_a.until_ended().await, SessionStatus::Completed);
    assert_one_unbroken_turn(&on_a);
    let (_, listed) = b.get(&format!("/api/sessions/{session}")).await;
    assert_eq!(listed["status"], "completed", "{listed}");
}

#[tokio::test]
async fn an_answer_given_while_the_link_was_down_reaches_the_agent_after_its_server_dies() {
    let mut cluster = servers_on_one_database(2).await;
    let relay = Relay::to(&cluster.servers[0].url).await;
    let (runner_id, token) = add_runner(&cluster.servers[0], "away").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let root = cluster.servers[0].data_dir.clone();
    let _runner = start_runner(&relay.url(), &token, runner_data.path(), &root);
    until_connected(&cluster.servers[0], &runner_id, true).await;
    let assistant = assistant_on(&cluster.servers[0], &runner_id, "answered", scenario()).await;
    let session = start(&cluster.servers[0], &assistant).await;
    let mut on_b = Viewer::connect(&cluster.servers[1]).await;
    on_b.subscribe(&session, Seq::ZERO).await;
    let (approval, options) = on_b.until_approval().await;

    // The link drops; a person answers on A, which keeps the answer for
    // the runner; then A dies before the runner is back.
    relay.go_down();
    until_connected(&cluster.servers[0], &runner_id, false).await;
    let (status, body) = cluster.servers[0]
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    cluster.servers[0].kill().await;
    relay.send_to(&cluster.servers[1].url);
    relay.come_up();

    // B takes the run over and sends the answer A never delivered.
    on_b.until("B to take the session over", taken_over).await;
    assert_eq!(on_b.until_ended().await, SessionStatus::Completed);
    assert_one_unbroken_turn(&on_b);
}
