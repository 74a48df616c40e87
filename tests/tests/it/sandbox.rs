//! Agents kept in their place by the kernel: what a person allowed still
//! cannot write outside the workspace or read Tandem's data, and a file
//! request through a link out of the workspace is refused.

use crate::support::{allowed_command, TestServer, Viewer};
use serde_json::json;
use tandem_shared::{EventBody, Seq};

fn everything_said(viewer: &Viewer) -> String {
    serde_json::to_string(&viewer.events).unwrap_or_default()
}

fn notices(viewer: &Viewer) -> Vec<String> {
    viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Notice { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_allowed_command_cannot_write_outside_or_read_tandems_data() {
    let server = TestServer::start().await;
    let (_, info) = server.get("/api/sandbox").await;
    if info["enforced"] != true {
        // A kernel without Landlock: what a person is told instead.
        let (_, viewer) = allowed_command(&server, "true").await;
        assert!(
            notices(&viewer)
                .iter()
                .any(|n| n.starts_with("Not sandboxed")),
            "{info}"
        );
        eprintln!("this kernel has no Landlock; checked the notice only");
        return;
    }
    let outside = tempfile::tempdir().expect("temp dir");
    let evil = outside.path().join("evil");
    let database = server.data_dir.join("tandem.db");
    assert!(database.exists());
    let command = format!(
        "echo pwned > {}; head -c 16 {}; echo done > inside.txt",
        evil.display(),
        database.display()
    );
    let (_, viewer) = allowed_command(&server, &command).await;
    let said = everything_said(&viewer);
    assert!(!evil.exists(), "the agent wrote outside its workspace");
    assert_eq!(
        said.matches("Permission denied").count(),
        2,
        "both refusals are in the transcript: {said}"
    );
    assert!(
        !said.contains("SQLite format"),
        "the database was read: {said}"
    );
    let demo = server.demo_assistant().await;
    let inside = std::path::Path::new(&demo.workspace).join("inside.txt");
    assert_eq!(
        std::fs::read_to_string(inside).expect("the workspace is writable"),
        "done\n"
    );
    assert!(notices(&viewer).is_empty(), "{:?}", notices(&viewer));
    let (status, info) = server.get("/api/sandbox").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["enforced"], true, "{info}");
    let anonymous = reqwest::get(format!("{}/api/sandbox", server.url))
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn with_the_sandbox_off_the_transcript_says_so() {
    let server = TestServer::launch()
        .env("TANDEM_SANDBOX", "off")
        .start()
        .await;
    let outside = tempfile::tempdir().expect("temp dir");
    let evil = outside.path().join("evil");
    let (_, viewer) = allowed_command(&server, &format!("echo pwned > {}", evil.display())).await;
    let notices = notices(&viewer);
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("Not sandboxed (turned off by the server's admin)")),
        "{notices:?}"
    );
    assert!(evil.exists(), "without a sandbox the write goes through");
    let (_, info) = server.get("/api/sandbox").await;
    assert_eq!(info["enforced"], false, "{info}");
}

#[tokio::test]
async fn a_bad_sandbox_setting_is_a_clear_error() {
    let outcome = std::process::Command::new(crate::support::tandem_bin())
        .args(["serve", "--sandbox", "sometimes"])
        .output()
        .expect("run tandem");
    assert!(!outcome.status.success());
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert!(stderr.contains("invalid value 'sometimes'"), "{stderr}");
    assert!(
        stderr.contains("auto") && stderr.contains("require"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_file_request_through_a_link_out_of_the_workspace_is_refused() {
    let server = TestServer::start().await;
    let outside = tempfile::tempdir().expect("temp dir");
    let assistant = server
        .scripted_assistant(
            "linker",
            json!({"turns": [[
                {"do": "write_file", "path": "out/evil", "content": "x"},
                {"do": "write_file", "path": "ok.txt", "content": "fine"},
                {"do": "message", "text": "tried"}
            ]]}),
        )
        .await;
    std::os::unix::fs::symlink(
        outside.path(),
        std::path::Path::new(&assistant.workspace).join("out"),
    )
    .expect("link");
    let session = server.start_session(&assistant, "write").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;
    let text = viewer.agent_text();
    assert!(text.contains("write failed:"), "{text}");
    assert!(text.contains("out/evil is refused"), "{text}");
    assert!(!outside.path().join("evil").exists());
    assert_eq!(
        std::fs::read_to_string(std::path::Path::new(&assistant.workspace).join("ok.txt"))
            .expect("a write inside goes through"),
        "fine"
    );
}
