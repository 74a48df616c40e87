//! `tandem migrate`: a team's SQLite database copied into PostgreSQL, and
//! a server on PostgreSQL with the same data directory carrying on from it
//! (transcripts, people, tasks, routines, sealed secrets); and the copies it
//! refuses, with the reason.

use crate::support::{fresh_postgres, tandem_bin, TestServer, Viewer};
use serde_json::json;
use std::process::Output;
use tandem_shared::{Seq, SessionStatus};

const KEY: &str = "sk-migrated-1234";

async fn migrate(from: &str, to: &str) -> Output {
    tokio::process::Command::new(tandem_bin())
        .args(["migrate", "--from", from, "--to", to])
        .env_remove("TANDEM_DATABASE_URL")
        .output()
        .await
        .expect("run tandem migrate")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn a_sqlite_team_moves_to_postgres_with_everything() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut before = TestServer::launch().in_dir(data.path()).start().await;
    let ana = before.person("ana").await;
    let assistant = before
        .scripted_assistant(
            "mover",
            json!({"turns": [[{"do": "env", "name": "MODEL_KEY"}, {"do": "echo_prompt"}]]}),
        )
        .await;
    let response = before
        .http
        .put(format!(
            "{}/api/assistants/{}/secrets/MODEL_KEY",
            before.url, assistant.id
        ))
        .json(&json!({"value": KEY}))
        .send()
        .await
        .expect("put secret");
    assert_eq!(response.status().as_u16(), 204);
    let session = before.start_session(&assistant, "first run").await;
    let mut viewer = Viewer::connect(&before).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let (status, parent) = before
        .post("/api/tasks", json!({"title": "Parent task", "body": ""}))
        .await;
    assert_eq!(status, 201, "{parent}");
    let (status, child) = before
        .post(
            "/api/tasks",
            json!({"title": "Child task", "body": "", "parent_id": parent["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{child}");
    let (status, routine) = before
        .post(
            &format!("/api/assistants/{}/routines", assistant.id),
            json!({"cron": "0 9 * * 1", "time_zone": "UTC", "prompt": "Monday"}),
        )
        .await;
    assert_eq!(status, 201, "{routine}");
    let events_before = before.all_events(&session.id).await;
    let (_, tasks_before) = before.get("/api/tasks").await;
    before.terminate().await;

    let sqlite = format!("sqlite://{}", data.path().join("tandem.db").display());
    let postgres = fresh_postgres().await;
    let output = migrate(&sqlite, &postgres).await;
    assert!(output.status.success(), "{}", said(&output));
    let text = said(&output);
    assert!(text.contains("Copied"), "{text}");
    assert!(text.contains("events"), "{text}");
    assert!(
        !text.contains("tandem:tandem@"),
        "the password is not printed: {text}"
    );

    // The same data directory (its keys), now on PostgreSQL.
    let after = TestServer::launch()
        .in_dir(data.path())
        .database(postgres.clone())
        .start()
        .await;
    let events_after = after.all_events(&session.id).await;
    assert_eq!(
        serde_json::to_value(&events_after).unwrap(),
        serde_json::to_value(&events_before).unwrap(),
        "the transcript, event for event"
    );
    let (_, tasks_after) = after.get("/api/tasks").await;
    assert_eq!(tasks_after, tasks_before);
    let (_, routines) = after
        .get(&format!("/api/assistants/{}/routines", assistant.id))
        .await;
    assert_eq!(routines[0]["prompt"], "Monday", "{routines}");
    let (status, _) = after.login("ana", "ana-password").await;
    assert_eq!(status, 200, "ana's password works");
    let (status, _) = crate::support::client_with_token(&ana.token)
        .get(format!("{}/api/assistants", after.url))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("get");
    assert_eq!(status, 200, "ana's token works");
    // The sealed secret opens with the same key: the agent gets it.
    let (status, body) = after
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "second run"}),
        )
        .await;
    assert!(status == 200 || status == 202, "{body}");
    let mut viewer = Viewer::connect(&after).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer
        .until("the second run", |v| v.agent_text().contains("second run"))
        .await;
    assert!(
        viewer.agent_text().contains(&format!("MODEL_KEY={KEY}")),
        "{}",
        viewer.agent_text()
    );
    let first_new = events_before.len();
    assert!(viewer.events[first_new].seq > events_before[first_new - 1].seq);

    // Into a database that holds data: refused, naming a table.
    let output = migrate(&sqlite, &postgres).await;
    assert!(!output.status.success());
    assert!(
        said(&output).contains("already holds data"),
        "{}",
        said(&output)
    );
}

#[tokio::test]
async fn bad_migrations_are_refused_with_the_reason() {
    let data = tempfile::tempdir().expect("temp dir");
    let missing = format!("sqlite://{}", data.path().join("nothing.db").display());
    let output = migrate(&missing, "sqlite://elsewhere.db").await;
    assert!(!output.status.success());
    assert!(
        said(&output).contains("no SQLite database at"),
        "{}",
        said(&output)
    );
    assert!(
        !data.path().join("nothing.db").exists(),
        "no database made where none was"
    );

    let server = TestServer::launch().in_dir(data.path()).start().await;
    let sqlite = format!("sqlite://{}", data.path().join("tandem.db").display());
    // The same database twice.
    let output = migrate(&sqlite, &sqlite).await;
    assert!(!output.status.success());
    assert!(said(&output).contains("same database"), "{}", said(&output));
    // A server still runs on the source.
    let target = format!(
        "sqlite://{}?mode=rwc",
        data.path().join("copy.db").display()
    );
    let output = migrate(&sqlite, &target).await;
    assert!(!output.status.success());
    assert!(
        said(&output).contains("still runs on the source"),
        "{}",
        said(&output)
    );
    drop(server);
    // Not a database URL.
    let output = migrate("mysql://x/y", &target).await;
    assert!(!output.status.success());
    assert!(
        said(&output).contains("unsupported database URL"),
        "{}",
        said(&output)
    );
    // Missing flags.
    let output = tokio::process::Command::new(tandem_bin())
        .args(["migrate", "--from", &sqlite])
        .output()
        .await
        .expect("run");
    assert!(!output.status.success());
    assert!(said(&output).contains("--to"), "{}", said(&output));
}
