//! Assistants made in the browser: the New assistant form, with a secret
//! that never comes back.

use super::*;

const KEY: &str = "sk-ant-browser-5c1f0e9a7b";

/// A person adds a Claude Code assistant with its model key entirely in the
/// browser; the key reaches the store sealed and never appears again in a
/// page, an API response or the server's log.
#[tokio::test]
async fn a_person_creates_a_claude_assistant_with_a_key_that_is_never_shown_again() {
    let log_dir = tempfile::tempdir().expect("log dir");
    let log = log_dir.path().join("server.log");
    let server = TestServer::launch().log_to(&log).start().await;
    let workspace = server.data_dir.join("ws-claude");
    std::fs::create_dir_all(&workspace).expect("workspace");
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
            "[data-testid=assistant-workspace]",
            &workspace.display().to_string(),
        )
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
    browser
        .client
        .execute(
            "document.querySelector('[data-testid=new-assistant-page] fieldset').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll");
    browser.screenshot("new-assistant-form").await;
    browser.click("[data-testid=create-assistant]").await;

    browser
        .until_text("[data-testid=assistant-page]", "Claude")
        .await;
    browser.click("[data-testid=tab-profile]").await;
    browser
        .until_text("[data-testid=secret]", "ANTHROPIC_API_KEY")
        .await;
    browser
        .client
        .execute(
            "document.querySelector('[data-testid=secrets-editor]').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll");
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
        .client
        .execute(
            "const s = document.querySelector('[data-testid=default-mode]'); s.value = 'default'; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("pick");
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
    browser
        .client
        .execute(
            "document.querySelector('[data-testid=check-agent]').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll");
    browser.screenshot("check-agent").await;
    browser.close().await;
}
