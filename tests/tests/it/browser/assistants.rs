//! Assistants made in the browser: the New assistant form, with a secret
//! that never comes back.

use super::*;

const KEY: &str = "sk-ant-browser-5c1f0e9a7b";

/// A person adds a Claude Code assistant entirely in the browser: the agent
/// (checked with the key typed in the form, its model picked as a
/// default), a new folder below the workspace root, a second member, and
/// the model key — which reaches the store sealed and never appears again
/// in a page, an API response or the server's log.
#[tokio::test]
async fn a_person_creates_a_claude_assistant_with_a_key_that_is_never_shown_again() {
    let log_dir = tempfile::tempdir().expect("log dir");
    let log = log_dir.path().join("server.log");
    // `claude-agent-acp` on PATH is the test agent, offering Claude's
    // modes and a model option; `node` is new enough for it.
    let scenario = log_dir.path().join("claude.json");
    std::fs::write(
        &scenario,
        json!({
            "modes": [{"id": "auto", "name": "Auto"}, {"id": "default", "name": "Default"},
                      {"id": "acceptEdits", "name": "Accept edits"}],
            "start_mode": "auto",
            "config_options": [{"id": "model", "name": "Model", "category": "model", "type": "select",
                "currentValue": "sonnet", "options": [{"value": "sonnet", "name": "Sonnet"}, {"value": "opus", "name": "Opus"}]}]
        })
        .to_string(),
    )
    .expect("scenario");
    let tools = crate::support::stand_in_tools(&[
        ("node", "#!/bin/sh\necho v22.12.0\n".to_owned()),
        (
            "claude-agent-acp",
            format!(
                "#!/bin/sh\nexec {} {}\n",
                crate::support::test_agent_bin(),
                scenario.display()
            ),
        ),
    ]);
    let server = TestServer::launch()
        .log_to(&log)
        .path_first(tools.path())
        .start()
        .await;
    let bea = server.person("bea").await;
    let browser = Browser::logged_in(&server, 1280, 900).await;
    browser.click("[data-testid=new-assistant]").await;
    browser
        .until_text("[data-testid=agent-kind][data-kind=claude]", "Claude Code")
        .await;
    browser
        .type_into("[data-testid=assistant-name]", "Claude")
        .await;
    browser
        .type_into(
            "[data-testid=assistant-persona]",
            "A careful engineer on this project.",
        )
        .await;
    let offered = browser
        .client
        .execute(
            "return document.querySelector('[data-testid=secret-name]').value;",
            vec![],
        )
        .await
        .expect("name");
    assert_eq!(
        offered,
        json!("ANTHROPIC_API_KEY"),
        "Claude's usual key is offered"
    );
    browser.type_into("[data-testid=secret-value]", KEY).await;

    // Checked with the typed key, the agent shows its modes and models.
    browser
        .click("[data-testid=new-check] [data-testid=check-agent-button]")
        .await;
    browser
        .until_text("[data-testid=check-who]", "test-agent")
        .await;
    browser
        .until_text(
            "[data-testid=check-modes]",
            "Auto — acts without asking (starts here)",
        )
        .await;
    browser.select("[data-default-option=model]", "opus").await;

    // A new folder below the workspace root.
    browser
        .until_text("[data-testid=workspace-chosen]", "Works in")
        .await;
    browser
        .type_into("[data-testid=new-folder-name]", "claude-work")
        .await;
    browser.click("[data-testid=new-folder]").await;
    browser
        .until_text("[data-testid=workspace-chosen]", "claude-work")
        .await;
    browser
        .click("[data-testid=member-pick][data-name=bea] input")
        .await;
    browser.scroll_to("[data-testid=new-check]").await;
    browser.screenshot("new-assistant-form").await;
    browser.scroll_to("[data-testid=new-members]").await;
    browser.screenshot("new-assistant-workspace-members").await;
    browser.click("[data-testid=create-assistant]").await;

    browser
        .until_text("[data-testid=assistant-page]", "Claude")
        .await;
    browser.click("[data-testid=tab-profile]").await;
    browser
        .until_text("[data-testid=secret]", "ANTHROPIC_API_KEY")
        .await;
    browser.scroll_to("[data-testid=secrets-editor]").await;
    browser.screenshot("assistant-secrets").await;
    let page = browser
        .client
        .execute(
            "return document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((i) => i.value).join(' ');",
            vec![],
        )
        .await
        .expect("page");
    assert!(!page.to_string().contains(KEY), "the page shows the key");

    let (_, assistants) = server.get("/api/assistants").await;
    let claude = assistants
        .as_array()
        .and_then(|all| all.iter().find(|a| a["name"] == "Claude"))
        .cloned()
        .expect("the new assistant");
    assert_eq!(claude["agent"]["kind"], "claude");
    let root = server
        .data_dir
        .join("workspaces")
        .canonicalize()
        .expect("root");
    assert_eq!(
        claude["workspace"],
        json!(root.join("claude-work").display().to_string())
    );
    let id = claude["id"].as_str().unwrap_or_default();
    let (_, defaults) = server.get(&format!("/api/assistants/{id}/choices")).await;
    assert_eq!(
        (&defaults[0]["id"], &defaults[0]["value"]),
        (&json!("model"), &json!("opus")),
        "{defaults}"
    );
    let (status, _) = bea.get(&format!("/api/assistants/{id}")).await;
    assert_eq!(status, 200, "bea was made a member");
    let (_, kinds) = server.get("/api/agents").await;
    assert!(
        !kinds.to_string().contains(KEY),
        "the kept check holds the key"
    );
    for path in [
        "/api/assistants".to_owned(),
        format!(
            "/api/assistants/{}",
            claude["id"].as_str().unwrap_or_default()
        ),
        format!(
            "/api/assistants/{}/secrets",
            claude["id"].as_str().unwrap_or_default()
        ),
    ] {
        let (status, body) = server.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.to_string().contains(KEY), "{path} shows the key");
    }
    let db = std::fs::read(server.data_dir.join("tandem.db")).expect("db");
    let wal = std::fs::read(server.data_dir.join("tandem.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is stored in the clear"
        );
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(!logged.is_empty(), "the server logged at debug level");
    assert!(!logged.contains(KEY), "the server's log holds the key");
    browser.close().await;
}

/// "Check agent" on the profile shows who the agent says it is, how it
/// logs in, its modes (in words, and where it starts) and its options; from
/// them a member picks the mode every run starts with.
#[tokio::test]
async fn check_agent_shows_what_the_agent_says_of_itself() {
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
    let browser = Browser::logged_in(&server, 1280, 900).await;
    browser
        .client
        .goto(&format!("{}/#/assistants/{}", server.url, assistant.id))
        .await
        .expect("open");
    browser.click("[data-testid=tab-profile]").await;
    browser.click("[data-testid=check-agent-button]").await;
    browser
        .until_text("[data-testid=check-who]", "test-agent 1")
        .await;
    browser
        .until_text(
            "[data-testid=check-modes]",
            "Auto — acts without asking (starts here); Default — asks before acting",
        )
        .await;
    // From what it offers, a member picks what every run starts with.
    browser
        .select("[data-testid=default-mode]", "default")
        .await;
    let started = std::time::Instant::now();
    loop {
        let (_, kept) = server
            .get(&format!("/api/assistants/{}/choices", assistant.id))
            .await;
        if kept[0]["mode"] == "default" {
            assert_eq!(kept[0]["chosen_by"], crate::support::ADMIN);
            break;
        }
        assert!(
            started.elapsed() < crate::support::DEADLINE,
            "never kept: {kept}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.scroll_to("[data-testid=check-agent]").await;
    browser.screenshot("check-agent").await;
    browser.close().await;
}
