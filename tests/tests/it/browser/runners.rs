//! Runners in the web app: an admin adds one in Settings and sees its token
//! and command once, the runner (a real `tandem runner` process) shows as
//! linked, an assistant is set to run on it from its profile and its
//! session's agent runs there; revoking from Settings stops the runner.
//! On a desktop and a phone.

use super::{Browser, PHONE_SIZE};
use crate::support::{tandem_bin, TestServer, Viewer};
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};

#[tokio::test]
async fn an_admin_adds_a_runner_sets_an_assistant_on_it_and_revokes_it() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "remote",
            json!({"turns": [[{"do": "env", "name": "RUNNER_MARK"}]]}),
        )
        .await;
    let browser = Browser::logged_in(&server, 1280, 900).await;
    let settings = format!("{}/#/settings", server.url);
    browser.client.goto(&settings).await.expect("settings");
    browser
        .until_dom_text("[data-testid=runners]", "Runners")
        .await;
    browser.scroll_to("[data-testid=runners]").await;
    browser
        .type_into("[data-testid=runner-name]", "laptop")
        .await;
    browser.click("[data-testid=runner-add]").await;
    browser
        .until_text("[data-testid=runner-token]", "tandem runner --hub")
        .await;
    let shown = browser.texts("[data-testid=runner-token]").await.join(" ");
    let token = shown
        .split_whitespace()
        .skip_while(|word| *word != "--token")
        .nth(1)
        .expect("the token in the command")
        .to_owned();
    assert!(token.starts_with("trn_"), "{shown}");
    assert!(
        shown.contains(&server.url),
        "the command names this hub: {shown}"
    );
    browser
        .until_text("[data-testid=runner-list]", "away")
        .await;

    let runner_data = tempfile::tempdir().expect("temp dir");
    let mut runner = tokio::process::Command::new(tandem_bin())
        .args(["runner", "--hub", &server.url, "--token", &token])
        .arg("--data-dir")
        .arg(runner_data.path())
        .arg("--workspace-root")
        .arg(&server.data_dir)
        .args(["--agent-env", "RUNNER_MARK"])
        .env("RUNNER_MARK", "from-the-laptop")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the runner");
    // Settings read the list when opened: open them again until linked.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        browser
            .client
            .goto(&format!("{}/#/", server.url))
            .await
            .expect("home");
        browser.client.goto(&settings).await.expect("settings");
        browser
            .until_text("[data-testid=runner-list]", "laptop")
            .await;
        if browser
            .texts("[data-testid=runner-state]")
            .await
            .iter()
            .any(|t| t == "linked")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the runner never showed as linked"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    browser
        .until_text("[data-testid=servers]", "this one")
        .await;
    browser.scroll_to("[data-testid=runners]").await;
    browser.screenshot("settings-runners").await;

    // The assistant's profile: runs on the runner.
    browser
        .client
        .goto(&format!("{}/#/assistants/{}", server.url, assistant.id))
        .await
        .expect("open the assistant");
    browser.click("[data-testid=tab-profile]").await;
    browser
        .until_dom_text("[data-testid=session-settings]", "Runs on")
        .await;
    browser.scroll_to("[data-testid=session-settings]").await;
    let (_, runners) = server.get("/api/runners").await;
    let runner_id = runners[0]["id"].as_str().expect("runner id").to_owned();
    browser
        .until_text("[data-testid=runs-on]", "Runner laptop")
        .await;
    browser.select("[data-testid=runs-on]", &runner_id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, runs_on) = server
            .get(&format!("/api/assistants/{}/runner", assistant.id))
            .await;
        if runs_on["runner_id"] == runner_id.as_str() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never saved: {runs_on}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("assistant-runs-on").await;
    let session = server.start_session(&assistant, "where are you").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(
        viewer.agent_text().contains("RUNNER_MARK=from-the-laptop"),
        "{}",
        viewer.agent_text()
    );
    open_and_see_the_notice(&browser, &server, &session.id).await;

    // On a phone, Settings list it too; revoking stops the runner.
    let phone = Browser::logged_in(&server, PHONE_SIZE.0, PHONE_SIZE.1).await;
    phone.client.goto(&settings).await.expect("settings");
    phone
        .until_dom_text("[data-testid=runner-list]", "linked")
        .await;
    phone.scroll_to("[data-testid=runners]").await;
    phone.screenshot("settings-runners-phone").await;
    phone.click("[data-testid=runner-revoke]").await;
    phone
        .until_dom_text("[data-testid=runner-list]", "revoked")
        .await;
    let status = tokio::time::timeout(Duration::from_secs(10), runner.wait())
        .await
        .expect("the revoked runner stops")
        .expect("status");
    assert!(!status.success());
    phone.close().await;
    browser.close().await;
}

async fn open_and_see_the_notice(browser: &Browser, server: &TestServer, session: &SessionId) {
    browser.open_session(server, session).await;
    browser.until_dom_text("body", "runs on the runner").await;
    let (_, events) = server
        .get(&format!("/api/sessions/{session}/events?after=0&limit=100"))
        .await;
    let page: tandem_shared::api::EventPage = serde_json::from_value(events).expect("page");
    assert!(page.events.iter().any(|e| matches!(
        &e.body,
        EventBody::Notice { text } if text.contains("runner `laptop`")
    )));
}

/// A runner's session whose server is killed goes on through the other
/// server, and a person there sees it happen: the approval arrives in the
/// transcript from the first server, the notice that the second took the
/// session over follows, and answering it in the page finishes the turn.
#[tokio::test]
async fn a_person_on_the_surviving_server_sees_the_session_taken_over_and_answers_it() {
    use crate::runners::{add_runner, assistant_on, start_runner, until_connected, Relay};
    let mut cluster = crate::cluster::servers_on_one_database(2).await;
    let relay = Relay::to(&cluster.servers[0].url).await;
    let (runner_id, token) = add_runner(&cluster.servers[0], "laptop").await;
    let runner_data = tempfile::tempdir().expect("temp dir");
    let root = cluster.servers[0].data_dir.clone();
    let _runner = start_runner(&relay.url(), &token, runner_data.path(), &root);
    until_connected(&cluster.servers[0], &runner_id, true).await;
    let assistant = assistant_on(
        &cluster.servers[0],
        &runner_id,
        "outlives",
        json!({"turns": [[
            {"do": "message", "text": "Ready to deploy. "},
            {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"},
            {"do": "message", "text": "Deployed after the takeover."}
        ]]}),
    )
    .await;
    let (status, started) = cluster.servers[0]
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant, "prompt": "deploy"}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let session = SessionId(started["id"].as_str().unwrap_or_default().into());
    let b = &cluster.servers[1];
    let mut on_b = Viewer::connect(b).await;
    on_b.subscribe(&session, Seq::ZERO).await;
    on_b.until_approval().await;

    relay.send_to(&cluster.servers[1].url);
    cluster.servers[0].kill().await;
    let b = &cluster.servers[1];
    let browser = Browser::logged_in(b, 1280, 900).await;
    browser.open_session(b, &session).await;
    browser
        .until_dom_text("body", "took this session over")
        .await;
    // Still waiting on the person, as on the server that died.
    let (_, listed) = b.get(&format!("/api/sessions/{session}")).await;
    assert_eq!(listed["status"], "waiting_approval", "{listed}");
    browser.screenshot("session-taken-over").await;
    browser.click("[data-testid=approval-option]").await;
    browser
        .until_dom_text("body", "Deployed after the takeover.")
        .await;
    assert_eq!(on_b.until_ended().await, SessionStatus::Completed);
    browser.screenshot("session-taken-over-done").await;
    browser.close().await;
}
