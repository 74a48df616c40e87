//! Three Tandem servers on one PostgreSQL database, each a real process
//! with its own data directory (sharing the secrets and push keys, as the
//! README says): a viewer on one follows a session another runs, a person
//! on the third answers its approval, a kill -9 of the owner leaves its
//! sessions interrupted and resumable elsewhere, and a routine fires once.

use crate::support::{fresh_postgres, until_json, TestServer, Viewer};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};

/// Seconds a server's lease lasts in these tests.
const LEASE: &str = "2";

/// What every server on one database must share, copied from the first:
/// the keys, and the admin token the first one made.
const SHARED_FILES: [&str; 3] = ["secrets.key", "push-vapid.key", "test-admin-token"];

pub(crate) struct Servers {
    pub(crate) servers: Vec<TestServer>,
    _dirs: Vec<tempfile::TempDir>,
}

pub(crate) async fn servers_on_one_database(count: usize) -> Servers {
    let url = fresh_postgres().await;
    let first = TestServer::launch()
        .database(url.clone())
        .arg("--lease-secs", LEASE)
        .start()
        .await;
    let mut servers = vec![first];
    let mut dirs = Vec::new();
    for _ in 1..count {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_shared(&servers[0].data_dir, dir.path());
        let server = TestServer::launch()
            .in_dir(dir.path())
            .database(url.clone())
            .arg("--lease-secs", LEASE)
            .start()
            .await;
        servers.push(server);
        dirs.push(dir);
    }
    Servers {
        servers,
        _dirs: dirs,
    }
}

fn copy_shared(from: &Path, to: &Path) {
    for file in SHARED_FILES {
        std::fs::copy(from.join(file), to.join(file)).expect("copy a shared file");
    }
}

async fn watch(server: &TestServer, session: &SessionId) -> Viewer {
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(session, Seq::ZERO).await;
    viewer
}

/// Each `seq` once, in order, none missing.
fn assert_once_in_order(viewer: &Viewer, what: &str) {
    for (i, event) in viewer.events.iter().enumerate() {
        assert_eq!(
            event.seq,
            Seq(i as u64 + 1),
            "{what}: seq gap or duplicate at {i}"
        );
    }
}

#[tokio::test]
async fn a_viewer_on_c_follows_a_session_run_by_a_and_a_person_on_b_approves_it() {
    let cluster = servers_on_one_database(3).await;
    let [a, b, c] = &cluster.servers[..] else {
        panic!("three servers")
    };
    let assistant = a
        .scripted_assistant(
            "spread",
            json!({"turns": [[
                {"do": "first_time", "marker": "deploy", "steps": [
                    {"do": "stream", "count": 40, "interval_ms": 10},
                    {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                    {"do": "stream", "count": 60, "interval_ms": 5},
                    {"do": "message", "text": "deployed"}
                ], "otherwise": [{"do": "echo_prompt"}]}
            ]]}),
        )
        .await;
    let session = a.start_session(&assistant, "deploy it").await;
    // C subscribes while A's agent streams.
    let mut on_c = watch(c, &session.id).await;
    let mut on_b = watch(b, &session.id).await;
    let (approval, options) = on_c.until_approval().await;
    let (seen_on_b, _) = on_b.until_approval().await;
    assert_eq!(approval, seen_on_b);

    // B's person answers; the agent on A gets it.
    let (status, body) = b
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A second answer, on C, finds it settled.
    let (status, body) = c
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    assert_eq!(on_c.until_ended().await, SessionStatus::Completed);
    assert!(
        on_c.agent_text().contains("deployed"),
        "{}",
        on_c.agent_text()
    );
    assert!(on_c.agent_text().contains("chunk 59"));
    assert_once_in_order(&on_c, "the viewer on C");
    let stored = a.all_events(&session.id).await;
    on_b.until_ended().await;
    assert_once_in_order(&on_b, "the viewer on B");
    assert_eq!(on_c.events.len(), stored.len(), "C saw every stored event");
    assert_eq!(on_b.events.len(), stored.len(), "B saw every stored event");
    assert!(on_c.events.iter().any(
        |e| matches!(&e.body, EventBody::PermissionDecision { by: Some(by), .. } if by == "admin")
    ));

    // The sidebar on C heard of the end too.
    on_c.until("the sidebar entry to say completed", |v| {
        v.sidebar
            .iter()
            .any(|s| s.id == session.id && s.status == SessionStatus::Completed)
    })
    .await;

    // A follow-up sent to C resumes the session (nobody runs it now).
    let (status, body) = c
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "once more"}),
        )
        .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    on_b.until("the resumed run's end", |v| {
        v.events
            .iter()
            .filter(|e| {
                matches!(
                    e.body,
                    EventBody::StatusChange {
                        status: SessionStatus::Completed,
                        ..
                    }
                )
            })
            .count()
            == 2
    })
    .await;
    assert_once_in_order(&on_b, "the viewer on B after the resume");
    assert!(on_b.agent_text().contains("You said: once more"));
}

#[tokio::test]
async fn kill_9_of_the_owner_leaves_its_sessions_interrupted_and_another_server_resumes_them() {
    let mut cluster = servers_on_one_database(3).await;
    let assistant = cluster.servers[0]
        .scripted_assistant(
            "doomed",
            json!({"turns": [[
                {"do": "first_time", "marker": "long", "steps": [
                    {"do": "stream", "count": 400, "interval_ms": 50}
                ], "otherwise": [
                    {"do": "echo_prompt"}
                ]}
            ]]}),
        )
        .await;
    let session = cluster.servers[0]
        .start_session(&assistant, "stream for a long while")
        .await;
    let mut on_c = watch(&cluster.servers[2], &session.id).await;
    on_c.until("the stream to start", |v| {
        v.agent_text().contains("chunk 3 ")
    })
    .await;

    cluster.servers[0].kill().await;
    // The lease runs out; B or C records the session interrupted.
    on_c.until_status(SessionStatus::Interrupted).await;
    assert_once_in_order(&on_c, "the viewer on C");
    let c = &cluster.servers[2];
    let (_, listed) = c.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(listed["status"], "interrupted", "{listed}");

    // Resumed from C: C runs it now.
    let (status, body) = c
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "carry on"}),
        )
        .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    on_c.until("the resumed run to end", |v| {
        v.status() == Some(SessionStatus::Completed)
    })
    .await;
    assert!(
        on_c.agent_text().contains("You said: carry on"),
        "{}",
        on_c.agent_text()
    );
    assert_once_in_order(&on_c, "the viewer on C after the resume");
    // B sees the same session from the store.
    let b = &cluster.servers[1];
    let (_, on_b) = b.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(on_b["status"], "completed", "{on_b}");
}

#[tokio::test]
async fn a_routine_fires_once_with_three_servers_running() {
    let cluster = servers_on_one_database(3).await;
    let a = &cluster.servers[0];
    let assistant = a
        .scripted_assistant("routine", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    // Every second: each firing must be one wake, whichever server moves it.
    let (status, routine) = a
        .post(
            &format!("/api/assistants/{}/routines", assistant.id),
            json!({"cron": "* * * * * *", "time_zone": "UTC", "prompt": "Tick"}),
        )
        .await;
    assert_eq!(status, 201, "{routine}");
    let routine_id = routine["id"].as_str().unwrap_or_default().to_owned();
    let wakes_path = format!("/api/assistants/{}/wakes", assistant.id);
    until_json(a, &wakes_path, "three routine wakes", |wakes| {
        routine_wakes(wakes).len() >= 3
    })
    .await;
    let (status, _) = cluster.servers[1]
        .patch(
            &format!("/api/routines/{routine_id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, wakes) = a.get(&wakes_path).await;
    let fired = routine_wakes(&wakes);
    // One wake per firing second: two servers firing the same run would
    // record two wakes within the same second.
    let mut seconds: Vec<i64> = fired.iter().map(|at| at / 1000).collect();
    seconds.sort();
    let before = seconds.len();
    seconds.dedup();
    assert_eq!(seconds.len(), before, "a run fired twice: {wakes}");
}

/// When each routine wake was recorded.
fn routine_wakes(wakes: &Value) -> Vec<i64> {
    wakes
        .as_array()
        .map(|wakes| {
            wakes
                .iter()
                .filter(|w| w["trigger"] == "routine")
                .filter_map(|w| w["at"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_server_with_other_keys_or_a_taken_name_is_refused_with_the_reason() {
    let cluster = servers_on_one_database(1).await;
    let a = &cluster.servers[0];
    let url = a.database_url.clone().expect("postgres");
    // Its own secrets key: it could not open what the others sealed.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        a.data_dir.join("test-admin-token"),
        dir.path().join("test-admin-token"),
    )
    .expect("copy token");
    let output = tokio::process::Command::new(crate::support::tandem_bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TANDEM_DATABASE_URL")
        .output()
        .await
        .expect("run tandem");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("secrets key differs"), "{said}");
    assert!(said.contains("secrets.key"), "{said}");

    // A second live server under the same name on this machine.
    let dir = tempfile::tempdir().expect("temp dir");
    copy_shared(&a.data_dir, dir.path());
    let name = {
        let (_, nodes) = a.get("/api/servers").await;
        nodes[0]["name"].as_str().unwrap_or_default().to_owned()
    };
    assert!(!name.is_empty());
    let output = tokio::process::Command::new(crate::support::tandem_bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .args(["--node-name", &name])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TANDEM_DATABASE_URL")
        .output()
        .await
        .expect("run tandem");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--node-name"), "{said}");

    // A bad name is refused before anything starts.
    let output = tokio::process::Command::new(crate::support::tandem_bin())
        .args(["serve", "--node-name", "a b/c"])
        .output()
        .await
        .expect("run tandem");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--node-name"));
}

#[tokio::test]
async fn a_session_started_on_any_server_runs_where_its_runner_is_linked() {
    use crate::runners::{add_runner, assistant_on, start_runner, until_connected};
    let cluster = servers_on_one_database(2).await;
    let [a, b] = &cluster.servers[..] else {
        panic!("two servers")
    };
    let (runner_id, token) = add_runner(a, "box").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    // Linked to A; the workspace root covers both servers' data.
    let root = a.data_dir.parent().expect("temp root").to_path_buf();
    let _runner = start_runner(&a.url, &token, runner_data.path(), &root);
    until_connected(b, &runner_id, true).await;
    let assistant = assistant_on(
        a,
        &runner_id,
        "boxed",
        json!({"turns": [[{"do": "env", "name": "RUNNER_MARK"}, {"do": "echo_prompt"}]]}),
    )
    .await;
    // Started through B: it runs on A, where the runner is.
    let (status, session) = b
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "hello box"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let id = SessionId(session["id"].as_str().unwrap_or_default().into());
    let mut on_b = watch(b, &id).await;
    assert_eq!(on_b.until_ended().await, SessionStatus::Completed);
    assert!(
        on_b.agent_text().contains("RUNNER_MARK=on-the-laptop"),
        "{}",
        on_b.agent_text()
    );
    assert_once_in_order(&on_b, "the viewer on B");
    // A follow-up through B resumes it there too.
    let (status, body) = b
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"text": "again"}),
        )
        .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    on_b.until("the second run", |v| {
        v.agent_text().contains("You said: again")
    })
    .await;
}
