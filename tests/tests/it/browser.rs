//! The web app in real headless Chromium, driven over WebDriver: the whole
//! loop a person goes through, a denied approval, and what bad agents look
//! like in the UI. Screenshots land in `target/screenshots/`.

use crate::support::{static_dir, TestServer, ADMIN, ADMIN_PASSWORD, DEADLINE};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Chromium and its driver, on a fresh profile.
struct Browser {
    client: Client,
    _chromium: tandem_tests::chromium::Chromium,
}

impl Browser {
    async fn open(width: u32, height: u32) -> Browser {
        let driver_path = tandem_tests::chromium::driver_path();
        assert!(
            std::path::Path::new(&driver_path).exists(),
            "browser tests need Chromium and chromedriver: run `cargo xtask test`, which \
             installs them (apt-get install chromium chromium-driver)"
        );
        assert!(
            static_dir().is_some(),
            "browser tests need the built web app: run `cargo xtask test` (it runs trunk build)"
        );
        let chromium = tandem_tests::chromium::launch(width, height)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        Browser {
            client: chromium.client.clone(),
            _chromium: chromium,
        }
    }

    /// Opens one session's page.
    async fn open_session(&self, server: &TestServer, session: &tandem_shared::SessionId) {
        self.client
            .goto(&format!("{}/#/sessions/{session}", server.url))
            .await
            .expect("open session");
    }

    /// The first-run form, filled in and sent.
    async fn set_up(&self, name: &str, password: &str, repeat: &str) {
        self.type_into("[data-testid=setup-name]", name).await;
        self.type_into("[data-testid=setup-password]", password)
            .await;
        self.type_into("[data-testid=setup-repeat]", repeat).await;
        self.click("[data-testid=setup-submit]").await;
    }

    /// A browser already logged in as the test server's admin.
    async fn logged_in(server: &TestServer, width: u32, height: u32) -> Browser {
        let browser = Browser::open(width, height).await;
        browser.log_in(server, ADMIN, ADMIN_PASSWORD).await;
        browser
    }

    /// Logs in through the login form.
    async fn log_in(&self, server: &TestServer, name: &str, password: &str) {
        self.client.goto(&server.url).await.expect("open app");
        self.type_into("[data-testid=login-name]", name).await;
        self.type_into("[data-testid=login-password]", password)
            .await;
        self.click("[data-testid=login-submit]").await;
        self.until_dom_text("[data-testid=signed-in-as]", name)
            .await;
    }

    /// Like `until_text`, for elements that may be hidden (a phone's
    /// sidebar): reads the DOM's text, not what is painted.
    async fn until_dom_text(&self, css: &str, needle: &str) {
        let started = Instant::now();
        loop {
            let text = self
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                    vec![json!(css)],
                )
                .await
                .unwrap_or_default();
            if text.as_str().is_some_and(|t| t.contains(needle)) {
                return;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{css} never held {needle:?}: {text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("could not click {css}: {e}"));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self
            .client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
        element.send_keys(text).await.expect("type");
    }

    /// The text of every element matching `css`.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
            for element in elements {
                texts.push(element.text().await.unwrap_or_default());
            }
        }
        texts
    }

    /// Waits until some element matching `css` shows `needle`.
    async fn until_text(&self, css: &str, needle: &str) {
        let started = Instant::now();
        loop {
            if self.texts(css).await.iter().any(|t| t.contains(needle)) {
                return;
            }
            if started.elapsed() > DEADLINE {
                self.screenshot("timeout").await;
                panic!(
                    "{css} never showed {needle:?}; it shows {:?}",
                    self.texts(css).await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Whether the element matching `css` is laid out (not `display: none`).
    async fn is_shown(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }
}

#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

#[tokio::test]
async fn a_person_runs_a_command_approves_it_and_sees_it_complete() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .type_into("[data-testid=new-prompt]", "echo hello > hello.txt")
        .await;
    browser.screenshot("desktop-new-session").await;
    browser.click("[data-testid=start-session]").await;
    browser
        .until_text("[data-testid=approval-card]", "Permission")
        .await;
    browser
        .until_text("[data-testid=session-item]", "Waiting for approval")
        .await;
    browser
        .until_text("[data-testid=approvals-badge]", "1 waiting")
        .await;
    browser.screenshot("desktop-approval").await;
    browser
        .click("[data-testid=approval-option][data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Allow once")
        .await;
    browser
        .until_text("[data-testid=entry-agent]", "exited with status 0")
        .await;
    browser
        .until_text("[data-testid=session-item]", "Completed")
        .await;
    browser.screenshot("desktop-completed").await;
    let written = std::fs::read_to_string(std::path::Path::new(&demo.workspace).join("hello.txt"))
        .expect("hello.txt exists in the demo workspace");
    assert_eq!(written, "hello\n");

    // A follow-up from the composer resumes the ended session.
    browser
        .type_into("[data-testid=composer]", "cat hello.txt\n")
        .await;
    browser
        .until_text("[data-testid=entry-user]", "cat hello.txt")
        .await;
    browser
        .click(".approval.pending [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=tool-output]", "hello")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_denied_approval_does_not_run_the_command() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, "touch denied.txt").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .click("[data-testid=approval-option][data-option=reject]")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Reject")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=entry-agent]", "was rejected")
        .await;
    let failed = browser
        .client
        .find(Locator::Css(
            "[data-testid=entry-tool][data-tool-status=failed]",
        ))
        .await;
    assert!(failed.is_ok(), "the rejected tool call shows as failed");
    assert!(!std::path::Path::new(&demo.workspace)
        .join("denied.txt")
        .exists());
    browser.screenshot("desktop-denied").await;
    browser.close().await;
}

#[tokio::test]
async fn broken_agents_show_their_reason_and_other_sessions_go_on() {
    let server = TestServer::start().await;
    let garbage = server
        .scripted_assistant(
            "garbage",
            json!({"turns": [[{"do": "garbage", "text": "Segmentation fault (not JSON)"}]]}),
        )
        .await;
    let crash = server
        .scripted_assistant(
            "crash",
            json!({"turns": [[{"do": "message", "text": "halfway"}, {"do": "crash", "code": 9}]]}),
        )
        .await;
    let hang = server
        .scripted_assistant("hang", json!({"hang_on_initialize": true}))
        .await;
    let fine = server
        .scripted_assistant(
            "fine",
            json!({"turns": [[{"do": "message", "text": "All good."}]]}),
        )
        .await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    for (assistant, reason) in [
        (&garbage, "broke the protocol"),
        (&crash, "mid-turn"),
        (&hang, "did not answer initialize"),
    ] {
        let session = server.start_session(assistant, "go").await;
        browser.open_session(&server, &session.id).await;
        browser
            .until_text("[data-testid=entry-error]", reason)
            .await;
        browser
            .until_text("[data-testid=session-status]", "Failed")
            .await;
    }
    browser.screenshot("desktop-failed").await;
    let session = server.start_session(&fine, "go").await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=entry-agent]", "All good.")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn after_kill_9_the_page_reconnects_and_shows_the_session_interrupted() {
    let mut server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "waiting",
            json!({"turns": [[
                {"do": "message", "text": "Before the crash."},
                {"do": "permission", "id": "p1", "title": "Wait", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Wait")
        .await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    server.kill().await;
    browser.until_text(".banner-warn", "Reconnecting").await;
    let _restarted = TestServer::launch()
        .in_dir(&server.data_dir)
        .at(&addr)
        .start()
        .await;
    browser
        .until_text("[data-testid=session-status]", "Interrupted")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Cancelled")
        .await;
    let befores = browser.texts("[data-testid=entry-agent]").await;
    assert_eq!(
        befores
            .iter()
            .filter(|t| t.contains("Before the crash."))
            .count(),
        1,
        "nothing is duplicated after the reconnect: {befores:?}"
    );
    browser.screenshot("desktop-interrupted").await;
    browser.close().await;
}

#[tokio::test]
async fn the_assistant_page_chats_edits_the_profile_and_the_board_assigns_tasks() {
    let server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;

    // Writing in chat wakes the assistant; its summary comes back in chat.
    browser
        .type_into("[data-testid=chat-composer]", "echo from chat\n")
        .await;
    browser
        .until_text("[data-testid=chat-message]", "echo from chat")
        .await;
    browser.click("[data-testid=session-item]").await;
    browser
        .click(".approval.pending [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=chat-message][data-kind=summary]", "Finished.")
        .await;
    browser.screenshot("desktop-assistant-chat").await;

    browser.click("[data-testid=tab-wakes]").await;
    browser.until_text("[data-testid=wakes]", "chat").await;
    browser.until_text("[data-testid=wakes]", "started").await;

    browser.click("[data-testid=tab-profile]").await;
    browser
        .type_into("[data-testid=persona]", " Careful with rm.")
        .await;
    browser.click("[data-testid=save-profile]").await;
    browser.until_text("[data-testid=saved]", "Saved").await;
    browser.screenshot("desktop-assistant-profile").await;
    let (_, demo) = server.get("/api/assistants").await;
    assert!(
        demo[0]["persona"]
            .as_str()
            .unwrap()
            .ends_with("Careful with rm."),
        "{demo}"
    );

    // The board: a task assigned to Demo wakes it and moves along.
    browser.click("[data-testid=tasks-link]").await;
    browser.type_into("[data-testid=task-title]", "pwd").await;
    let assignee = browser
        .client
        .find(Locator::Css("[data-testid=task-assignee]"))
        .await
        .expect("assignee select");
    assignee.select_by_label("Demo").await.expect("pick Demo");
    browser.click("[data-testid=create-task]").await;
    browser
        .until_text("[data-testid=column-in_progress]", "pwd")
        .await;
    browser.screenshot("desktop-tasks").await;
    browser.close().await;
}

#[tokio::test]
async fn two_members_share_an_approval_a_stranger_sees_nothing_and_a_link_dies_on_revoke() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let bob = server.person("bob").await;
    let _carol = server.person("carol").await;
    let assistant = server
        .scripted_assistant(
            "Pair",
            json!({"turns": [[
                {"do": "message", "text": "<script>window.__owned = 1</script><img src=x onerror=\"window.__owned = 2\"> [click](javascript:window.__owned=3)"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"},
                {"do": "message", "text": "Deployed **staging**:\n\n- ran `make deploy`\n- see [the log](https://ci.example/1)\n\n```sh\nmake deploy\n```"}
            ]]}),
        )
        .await;
    for person in [&alice, &bob] {
        let (status, _) = server
            .post(
                &format!("/api/assistants/{}/members", assistant.id),
                json!({"user_id": person.id}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let session = server.start_session(&assistant, "deploy").await;
    let session_url = format!("{}/#/sessions/{}", server.url, session.id);

    let alice_browser = Browser::open(1280, 860).await;
    alice_browser
        .log_in(&server, "alice", "alice-password")
        .await;
    let bob_browser = Browser::open(1280, 860).await;
    bob_browser.log_in(&server, "bob", "bob-password").await;
    for browser in [&alice_browser, &bob_browser] {
        browser
            .client
            .goto(&session_url)
            .await
            .expect("open session");
        browser
            .until_text("[data-testid=approval-card]", "Deploy to staging")
            .await;
        browser
            .until_text("[data-testid=approvals-badge]", "1 waiting")
            .await;
    }
    alice_browser
        .screenshot("desktop-approval-two-people")
        .await;
    bob_browser
        .click("[data-testid=approval-option][data-option=yes]")
        .await;
    alice_browser
        .until_text("[data-testid=approval-verdict]", "by bob")
        .await;
    alice_browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    // Transcript text is text: nothing in it ran.
    let owned = alice_browser
        .client
        .execute("return window.__owned === undefined", vec![])
        .await
        .expect("script");
    assert_eq!(owned, json!(true), "agent text must never run as HTML");
    // Markdown becomes structure, and no link can run code.
    let shape = alice_browser
        .client
        .execute(
            "const agent = [...document.querySelectorAll('[data-testid=entry-agent]')]; \
             return [agent.some(e => e.querySelector('strong')), \
                     agent.some(e => e.querySelector('li code')), \
                     agent.some(e => e.querySelector('pre code')), \
                     agent.some(e => e.querySelector('a[href=\"https://ci.example/1\"]')), \
                     document.querySelectorAll('a[href^=javascript], img, script[src]').length];",
            vec![],
        )
        .await
        .expect("markdown shape");
    assert_eq!(shape, json!([true, true, true, true, 0]), "{shape}");
    alice_browser.screenshot("desktop-markdown").await;
    assert!(alice_browser
        .texts("[data-testid=entry-agent]")
        .await
        .iter()
        .any(|t| t.contains("<script>")));
    alice_browser.close().await;
    bob_browser.close().await;

    // A person who is not a member sees neither the session nor the assistant.
    let carol_browser = Browser::open(1280, 860).await;
    carol_browser
        .log_in(&server, "carol", "carol-password")
        .await;
    assert!(carol_browser
        .texts("[data-testid=session-item]")
        .await
        .is_empty());
    assert!(carol_browser
        .texts("[data-testid=assistant-item]")
        .await
        .iter()
        .all(|name| !name.contains("Pair")));
    carol_browser.client.goto(&session_url).await.expect("open");
    carol_browser
        .until_text(".banner-error", "no session with that id")
        .await;
    assert!(carol_browser
        .texts("[data-testid=entry-agent]")
        .await
        .is_empty());
    carol_browser.screenshot("desktop-not-a-member").await;
    carol_browser.close().await;

    // The admin shares a second, live session; a stranger watches it
    // read-only until the link is revoked.
    let live = server.start_session(&assistant, "deploy again").await;
    let admin = Browser::logged_in(&server, 1280, 860).await;
    admin.open_session(&server, &live.id).await;
    admin.click("[data-testid=share]").await;
    admin.click("[data-testid=share-create]").await;
    admin.until_text("[data-testid=share-url]", "/s/").await;
    let link = admin.texts("[data-testid=share-url]").await.remove(0);
    admin.screenshot("desktop-share-panel").await;
    let stranger = Browser::open(1280, 860).await;
    stranger.client.goto(&link).await.expect("open link");
    stranger
        .until_text("[data-testid=approval-card]", "Waiting for a decision")
        .await;
    assert!(
        stranger
            .texts("[data-testid=approval-option]")
            .await
            .is_empty(),
        "no controls on a shared page"
    );
    assert!(stranger.texts("[data-testid=composer]").await.is_empty());
    assert!(stranger.texts("[data-testid=stop]").await.is_empty());
    assert!(stranger.texts(".sidebar").await.is_empty(), "no navigation");
    stranger.screenshot("desktop-share-page").await;
    admin
        .click("[data-testid=approval-option][data-option=yes]")
        .await;
    stranger
        .until_text("[data-testid=entry-agent]", "Deployed staging")
        .await;
    // Settings lists every live link; revoking there ends the page at once.
    admin.click("[data-testid=settings-link]").await;
    admin
        .until_text("[data-testid=all-share-links]", "by admin")
        .await;
    admin.screenshot("desktop-settings-share-links").await;
    admin.click("[data-testid=all-share-revoke]").await;
    stranger
        .until_text("[data-testid=share-gone]", "revoked")
        .await;
    stranger.screenshot("desktop-share-revoked").await;
    stranger.close().await;
    admin.close().await;
}

#[tokio::test]
async fn two_people_pause_resume_interrupt_and_stop_a_session() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let assistant = server
        .scripted_assistant(
            "Steady",
            json!({"turns": [
                [
                    {"do": "message", "text": "one "},
                    {"do": "sleep", "ms": 1500},
                    {"do": "message", "text": "two "},
                    {"do": "work_until_cancel", "interval_ms": 500}
                ],
                [{"do": "echo_prompt"}, {"do": "work_until_cancel", "interval_ms": 500}]
            ]}),
        )
        .await;
    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/members", assistant.id),
            json!({"user_id": alice.id}),
        )
        .await;
    assert_eq!(status, 200);
    let session = server.start_session(&assistant, "go").await;
    let session_url = format!("{}/#/sessions/{}", server.url, session.id);
    let admin = Browser::logged_in(&server, 1280, 860).await;
    let other = Browser::open(1280, 860).await;
    other.log_in(&server, "alice", "alice-password").await;
    for browser in [&admin, &other] {
        browser
            .client
            .goto(&session_url)
            .await
            .expect("open session");
        browser.until_text("[data-testid=entry-agent]", "one").await;
    }
    admin.click("[data-testid=pause]").await;
    other
        .until_text("[data-testid=session-status]", "Paused")
        .await;
    other
        .until_text("[data-testid=entry-status]", "paused by admin")
        .await;
    other.screenshot("desktop-paused").await;
    other.click("[data-testid=resume]").await;
    admin.until_text("[data-testid=entry-agent]", "two").await;
    admin
        .until_text("[data-testid=entry-status]", "resumed by alice")
        .await;
    admin
        .type_into("[data-testid=composer]", "switch to this")
        .await;
    admin.click("[data-testid=interrupt-send]").await;
    other
        .until_text("[data-testid=entry-status]", "turn interrupted by admin")
        .await;
    other
        .until_text("[data-testid=entry-agent]", "switch to this")
        .await;
    other.click("[data-testid=stop]").await;
    admin
        .until_text("[data-testid=session-status]", "Stopped")
        .await;
    admin
        .until_text("[data-testid=entry-status]", "stopped by alice")
        .await;
    admin.screenshot("desktop-stepped-in").await;
    admin.close().await;
    other.close().await;
}

#[tokio::test]
async fn the_first_run_makes_the_admin_who_can_log_out_and_in_again() {
    let server = TestServer::launch().without_accounts().start().await;
    let browser = Browser::open(1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .set_up("ada", "a long password", "a different one")
        .await;
    browser.until_text(".form-error", "differ").await;
    browser.screenshot("desktop-first-run").await;
    let repeat = browser
        .client
        .find(Locator::Css("[data-testid=setup-repeat]"))
        .await
        .expect("repeat field");
    repeat.clear().await.expect("clear");
    repeat.send_keys("a long password").await.expect("type");
    browser.click("[data-testid=setup-submit]").await;
    browser
        .until_text("[data-testid=signed-in-as]", "ada")
        .await;
    browser.click("[data-testid=settings-link]").await;
    browser.until_text("[data-testid=me]", "ada").await;
    browser.type_into("[data-testid=token-name]", "ci").await;
    browser.click("[data-testid=token-create]").await;
    browser
        .until_text("[data-testid=token-secret]", "tdm_")
        .await;
    browser.screenshot("desktop-settings").await;
    // The demo assistant's rules: the defaults, and one more.
    browser.click("[data-testid=assistant-item]").await;
    browser.click("[data-testid=tab-rules]").await;
    browser.until_text("[data-testid=rule]", "edit:").await;
    browser
        .type_into("[data-testid=rule-prefix]", "git status")
        .await;
    browser.click("[data-testid=rule-add]").await;
    browser
        .until_text("[data-testid=rule]", "execute:git status")
        .await;
    browser.screenshot("desktop-assistant-rules").await;
    browser.click("[data-testid=settings-link]").await;
    browser.click("[data-testid=logout]").await;
    browser
        .until_text("[data-testid=login-submit]", "Log in")
        .await;
    browser.type_into("[data-testid=login-name]", "ada").await;
    browser
        .type_into("[data-testid=login-password]", "wrong password")
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser.until_text(".form-error", "do not match").await;
    browser.screenshot("desktop-login").await;
    browser.close().await;
}

/// A login that ends while its page is open (here: the password changed
/// from elsewhere, which ends every other login) brings the page back to
/// the login form at once, instead of a page that reconnects forever.
#[tokio::test]
async fn a_login_that_ends_elsewhere_brings_the_page_back_to_the_login() {
    let server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.click("[data-testid=settings-link]").await;
    browser.until_text("[data-testid=me]", ADMIN).await;
    let (status, body) = server
        .post(
            "/api/auth/password",
            json!({"current": ADMIN_PASSWORD, "new": "another long password"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    browser
        .until_text("[data-testid=login-ended]", "Your login has ended")
        .await;
    browser.screenshot("desktop-login-ended").await;
    // And the new password lets the person back in.
    browser.type_into("[data-testid=login-name]", ADMIN).await;
    browser
        .type_into("[data-testid=login-password]", "another long password")
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser
        .until_dom_text("[data-testid=signed-in-as]", ADMIN)
        .await;
    browser.close().await;
}

/// Claude's adapter sends a tool's result only as `rawOutput`: the card
/// shows it; a call the turn left running says it did not finish.
#[tokio::test]
async fn a_tool_card_shows_a_raw_result_and_a_call_that_did_not_finish() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "raw",
            json!({"turns": [[
                {"do": "tool_call", "id": "read-1", "title": "Read notes.txt", "kind": "read"},
                {"do": "tool_update", "id": "read-1", "status": "completed",
                 "raw_output": "line one of the notes"},
                {"do": "tool_call", "id": "run-1", "title": "cargo build", "kind": "execute"},
                {"do": "tool_update", "id": "run-1", "status": "in_progress"},
                {"do": "message", "text": "Read them."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "read the notes").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=tool-raw-output]", "line one of the notes")
        .await;
    browser
        .until_text("[data-tool-status=not-finished]", "did not finish")
        .await;
    browser.screenshot("desktop-tool-raw-output").await;
    browser.close().await;
}

/// A finished session opens at its end: its summary in view, no "Jump to
/// live" over it, however long it is and however its rows grow as they
/// render (markdown, code blocks).
#[tokio::test]
async fn a_finished_session_opens_at_its_end() {
    let server = TestServer::start().await;
    let long =
        "Here is what I did:\n\n```\n".to_owned() + &"a line of output\n".repeat(30) + "```\n";
    let assistant = server
        .scripted_assistant(
            "long",
            json!({"turns": [[
                {"do": "entries", "count": 300},
                {"do": "message", "text": long},
                {"do": "message", "text": "\n\n## Done\n\nAll of it."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "do it all").await;
    crate::support::until_json(
        &server,
        &format!("/api/sessions/{}", session.id),
        "the session to end",
        |s| s["status"] == "completed",
    )
    .await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_dom_text("[data-testid=entry-summary]", "Finished")
        .await;
    let started = Instant::now();
    loop {
        let state = browser
            .client
            .execute(
                "const list = document.querySelector('[data-testid=transcript]');
                 const summary = document.querySelector('[data-testid=entry-summary]');
                 if (!list || !summary) return null;
                 const view = list.getBoundingClientRect();
                 const box = summary.getBoundingClientRect();
                 // Its end is on screen (a long summary may start above).
                 return { inView: box.bottom <= view.bottom + 1 && box.bottom > view.top,
                          jump: !!document.querySelector('[data-testid=jump-live]') };",
                vec![],
            )
            .await
            .expect("script");
        if state["inView"] == true && state["jump"] == false {
            break;
        }
        if started.elapsed() > DEADLINE {
            browser.screenshot("finished-session-not-at-end").await;
            panic!("the summary is not in view: {state}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("desktop-finished-session-end").await;
    browser.close().await;
}

/// With many assistants the sidebar keeps room for the sessions: the
/// assistants scroll in their own box and the page itself never scrolls.
#[tokio::test]
async fn twenty_five_assistants_leave_the_session_list_its_room() {
    let server = TestServer::start().await;
    let mut last = None;
    for i in 0..25 {
        last = Some(
            server
                .scripted_assistant(
                    &format!("helper-{i:02}"),
                    json!({"turns": [[{"do": "message", "text": "ok"}]]}),
                )
                .await,
        );
    }
    let assistant = last.expect("an assistant");
    for i in 0..6 {
        server.start_session(&assistant, &format!("task {i}")).await;
    }
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser
        .until_text("[data-testid=session-item]", "task 5")
        .await;
    let sizes = browser
        .client
        .execute(
            "const list = document.querySelector('.sidebar .session-list');
             const roster = document.querySelector('[data-testid=assistant-roster]');
             const foot = document.querySelector('[data-testid=settings-link]').getBoundingClientRect();
             return { sessions: list.getBoundingClientRect().height,
                      footVisible: foot.bottom <= window.innerHeight && foot.top >= 0,
                      roster: roster.getBoundingClientRect().height,
                      rosterScrolls: roster.scrollHeight > roster.clientHeight,
                      page: document.scrollingElement.scrollHeight,
                      window: window.innerHeight };",
            vec![],
        )
        .await
        .expect("script");
    browser.screenshot("desktop-sidebar-25-assistants").await;
    assert!(sizes["sessions"].as_f64() >= Some(120.0), "{sizes}");
    assert_eq!(
        sizes["footVisible"], true,
        "Settings stays in reach: {sizes}"
    );
    assert_eq!(sizes["rosterScrolls"], true, "{sizes}");
    assert!(
        sizes["page"].as_f64() <= sizes["window"].as_f64(),
        "the page itself must not scroll: {sizes}"
    );
    browser.close().await;
}

const PHONE: (u32, u32) = (390, 844);

#[tokio::test]
async fn on_a_phone_the_tab_bar_carries_the_approvals_badge_and_reaches_everything() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "message", "text": "May I deploy?"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"},
                {"do": "message", "text": "Deployed."}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    let browser = Browser::logged_in(&server, PHONE.0, PHONE.1).await;
    assert!(!browser.is_shown(".sidebar").await, "no sidebar on a phone");
    assert!(browser.is_shown(".tabbar").await, "a tab bar on a phone");
    browser.until_text("[data-testid=tab-badge]", "1").await;

    browser.click("[data-testid=tab-sessions]").await;
    browser
        .until_text(
            "[data-testid=sessions-page] [data-testid=day-heading]",
            "Today",
        )
        .await;
    browser
        .until_text(
            "[data-testid=sessions-page] [data-testid=session-item]",
            "Waiting for approval",
        )
        .await;
    browser.screenshot("phone-sessions").await;
    browser
        .click("[data-testid=sessions-page] [data-testid=session-item]")
        .await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy to staging")
        .await;
    browser.screenshot("phone-session").await;

    browser.click("[data-testid=tab-chat]").await;
    browser
        .until_text("[data-testid=chats-page]", "asker")
        .await;
    browser.screenshot("phone-chats").await;
    browser
        .click("[data-testid=chats-page] [data-testid=assistant-item]")
        .await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;
    browser.screenshot("phone-assistant").await;
    browser.click("[data-testid=tab-tasks]").await;
    browser.until_text(".tasks-page", "DONE").await;
    browser.screenshot("phone-tasks").await;
    browser.click("[data-testid=tab-chat]").await;
    browser.click("[data-testid=chats-settings]").await;
    browser.until_text("[data-testid=me]", ADMIN).await;
    browser.screenshot("phone-settings").await;

    // The inbox answers for the whole team; the badge goes.
    browser.click("[data-testid=tab-approvals]").await;
    browser
        .until_text("[data-testid=inbox-approval]", "Deploy to staging")
        .await;
    browser.screenshot("phone-approvals").await;
    browser
        .click("[data-testid=inbox-approval] [data-option=yes]")
        .await;
    browser
        .until_text("[data-testid=approvals-empty]", "Nothing is waiting")
        .await;
    assert!(!browser.is_shown("[data-testid=tab-badge]").await);
    let events = server.all_events(&session.id).await;
    assert!(
        events.iter().any(|e| matches!(
            &e.body,
            tandem_shared::EventBody::PermissionDecision { by: Some(by), .. } if by == ADMIN
        )),
        "the inbox answered the session's approval"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_app_is_installable_and_opens_offline_from_its_kept_shell() {
    let mut server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    // The service worker has kept this build's shell.
    let active = browser
        .client
        .execute_async(
            "const done = arguments[0]; \
             navigator.serviceWorker.ready.then(r => done(!!r.active)).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("service worker");
    assert_eq!(active, json!(true), "the service worker is active");
    let manifest = browser.cdp("Page.getAppManifest", json!({})).await;
    assert_eq!(manifest["errors"], json!([]), "{manifest}");
    // Chromium's own verdict.
    let verdict = browser.cdp("Page.getInstallabilityErrors", json!({})).await;
    assert_eq!(
        verdict["installabilityErrors"],
        json!([]),
        "Chromium finds it installable: {verdict}"
    );

    // Server gone: a reload opens the kept shell, which says it is offline.
    let addr = server.url.trim_start_matches("http://").to_owned();
    let data_dir = server.data_dir.clone();
    server.kill().await;
    browser.client.refresh().await.expect("reload");
    browser
        .until_text("[data-testid=offline-banner]", "Offline")
        .await;
    browser.screenshot("desktop-offline").await;
    // Back again: the page finds it by itself, still logged in.
    let _restarted = TestServer::launch()
        .in_dir(&data_dir)
        .at(&addr)
        .start()
        .await;
    browser
        .until_text("[data-testid=signed-in-as]", ADMIN)
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_new_user_goes_from_first_run_to_an_approved_command_summed_up_in_chat() {
    let server = TestServer::launch().without_accounts().start().await;
    let browser = Browser::open(1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .set_up("grace", "a long password", "a long password")
        .await;
    browser
        .until_text("[data-testid=signed-in-as]", "grace")
        .await;
    // The demo assistant is there from the start.
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;
    browser
        .type_into("[data-testid=chat-composer]", "echo first run\n")
        .await;
    browser
        .until_text("[data-testid=approvals-badge]", "1 waiting")
        .await;
    browser.click("[data-testid=approvals-link]").await;
    browser
        .until_text("[data-testid=inbox-approval]", "echo first run")
        .await;
    browser.screenshot("desktop-approvals").await;
    browser
        .click("[data-testid=inbox-approval] [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=approvals-empty]", "Nothing is waiting")
        .await;
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=chat-message][data-kind=summary]", "Finished.")
        .await;
    browser
        .until_text(
            "[data-testid=chat-message][data-kind=summary]",
            "echo first run",
        )
        .await;
    browser.screenshot("desktop-first-run-summary").await;
    browser.close().await;
}

#[tokio::test]
async fn a_long_transcript_keeps_a_window_of_rows_and_scrolls_back_to_the_start() {
    let server = TestServer::start().await;
    let talker = server
        .scripted_assistant(
            "talker",
            json!({"turns": [[{"do": "entries", "count": 3000}]]}),
        )
        .await;
    let session = server.start_session(&talker, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.until_text(".transcript", "entry 2999").await;
    let rows = || async {
        browser
            .client
            .execute(
                "return document.querySelectorAll('.transcript > li').length;",
                vec![],
            )
            .await
            .expect("count rows")
            .as_u64()
            .unwrap_or(0)
    };
    let at_open = rows().await;
    assert!(at_open <= 502, "{at_open} rows in the page at open");
    assert!(
        !browser
            .texts(".transcript")
            .await
            .concat()
            .contains("entry 0"),
        "the start is not rendered yet"
    );
    // The reader scrolls up, again and again, to the very start.
    let started = Instant::now();
    loop {
        browser
            .client
            .execute(
                "const t = document.querySelector('.transcript'); t.scrollTop = 0; \
                 t.dispatchEvent(new Event('scroll'));",
                vec![],
            )
            .await
            .expect("scroll");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let at_start = browser
            .client
            .execute(
                "return document.querySelector('.transcript').textContent.includes('entry 0');",
                vec![],
            )
            .await
            .expect("read");
        if at_start == json!(true) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "never reached the start: {:?}",
            browser.texts("[data-testid=older-entries]").await
        );
        let now = rows().await;
        assert!(now <= 502, "{now} rows in the page while scrolling");
    }
    browser.screenshot("desktop-long-transcript-start").await;
    browser.click("[data-testid=jump-live]").await;
    browser.until_text(".transcript", "entry 2999").await;
    assert!(rows().await <= 502);
    browser.close().await;
}

/// Every visible piece of text against its background: WCAG AA asks 4.5:1,
/// or 3:1 for large text. Disabled controls are exempt, as WCAG says.
const CONTRAST_FAILURES: &str = r#"
function parse(c) {
  let m = c.match(/rgba?\(([^)]+)\)/);
  if (m) { const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  m = c.match(/color\(srgb ([^)]+)\)/);
  if (m) { const p = m[1].split(/[ \/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
  return null;
}
function lum([r, g, b]) {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function over(top, under) {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255, 1];
  if (!layers.length || layers[layers.length - 1][3] < 1) {
    const root = parse(getComputedStyle(document.documentElement).backgroundColor);
    if (root && root[3] > 0) bg = root;
  }
  for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
const failures = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.closest('[disabled], [aria-hidden=true]')) continue;
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (!r.width || !r.height || style.visibility === 'hidden') continue;
  const fg = parse(style.color); if (!fg) continue;
  const bg = background(el);
  const color = over(fg, bg);
  const [a, b] = [lum(color), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) failures.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
}
const unlabelled = [...document.querySelectorAll('input, select, textarea, button')].filter((c) => {
  if (!c.getClientRects().length) return false;
  const named = c.getAttribute('aria-label') || c.closest('label') ||
    (c.id && document.querySelector(`label[for="${c.id}"]`)) ||
    (c.tagName === 'BUTTON' && (c.textContent.trim() || c.querySelector('svg + span')));
  return !named;
}).map((c) => c.outerHTML.slice(0, 80));
return failures.concat(unlabelled.map((u) => 'unlabelled ' + u));
"#;

#[tokio::test]
async fn the_main_views_meet_wcag_aa_contrast_and_label_every_control_in_light_and_dark() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "thought", "text": "Thinking it over"},
                {"do": "message", "text": "May I **deploy**? See `make deploy`."},
                {"do": "tool_call", "id": "t1", "title": "Read Makefile", "kind": "read"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    for (width, height) in [(1280, 860), PHONE] {
        let browser = Browser::logged_in(&server, width, height).await;
        for dark in [false, true] {
            browser
                .cdp(
                    "Emulation.setEmulatedMedia",
                    json!({"features": [{"name": "prefers-color-scheme",
                        "value": if dark { "dark" } else { "light" }}]}),
                )
                .await;
            for (page, ready) in [
                (
                    format!("#/sessions/{}", session.id),
                    "[data-testid=approval-card]",
                ),
                ("#/approvals".to_owned(), "[data-testid=inbox-approval]"),
                (
                    format!("#/assistants/{}", asker.id),
                    "[data-testid=assistant-page]",
                ),
                ("#/tasks".to_owned(), ".tasks-page"),
                ("#/settings".to_owned(), "[data-testid=me]"),
                ("#/sessions".to_owned(), "[data-testid=sessions-page]"),
            ] {
                browser
                    .client
                    .goto(&format!("{}/{page}", server.url))
                    .await
                    .expect("open page");
                browser
                    .client
                    .wait()
                    .at_most(DEADLINE)
                    .for_element(Locator::Css(ready))
                    .await
                    .unwrap_or_else(|e| panic!("{page}: {ready} never appeared: {e}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                let failures = browser
                    .client
                    .execute(CONTRAST_FAILURES, vec![])
                    .await
                    .expect("contrast check");
                assert_eq!(failures, json!([]), "{page} at {width}px, dark: {dark}");
            }
        }
        browser.close().await;
    }
}

#[tokio::test]
async fn a_decided_approval_replaces_its_buttons_and_keeps_its_tool_card() {
    // A permission request makes two entries with one seq (the tool call
    // and the approval): each must stay one row through the decision.
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "message", "text": "first"},
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                {"do": "message", "text": "Deployed **staging**:\n\n- ran `x`"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy")
        .await;
    let (_, pending) = server.get("/api/approvals").await;
    let approval = pending[0]["approval_id"]
        .as_str()
        .expect("one pending approval")
        .to_owned();
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    let rows = browser
        .client
        .execute(
            "const t = document.querySelector('.transcript'); return [ \
             t.querySelectorAll('[data-testid=approval-card]').length, \
             t.querySelectorAll('[data-testid=approval-option]').length, \
             t.querySelectorAll('[data-testid=entry-tool]').length, \
             t.querySelectorAll('[data-testid=entry-status]').length];",
            vec![],
        )
        .await
        .expect("rows");
    assert_eq!(
        rows,
        json!([1, 0, 1, 1]),
        "approval, buttons, tool, status rows"
    );
    browser
        .until_text("[data-testid=approval-verdict]", "Allow once by admin")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn the_keyboard_reaches_every_control_with_a_visible_focus() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy to staging")
        .await;
    // Tab through the page: note each focused control and its outline.
    let walk = browser
        .client
        .execute(
            "document.activeElement && document.activeElement.blur(); return true;",
            vec![],
        )
        .await;
    assert!(walk.is_ok());
    let mut reached = Vec::new();
    for _ in 0..40 {
        browser
            .client
            .active_element()
            .await
            .expect("active element")
            .send_keys("\u{E004}") // Tab
            .await
            .expect("tab");
        let focused = browser
            .client
            .execute(
                "const e = document.activeElement; const s = getComputedStyle(e); \
                 return [e.dataset.testid || e.tagName.toLowerCase(), \
                         s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];",
                vec![],
            )
            .await
            .expect("focus");
        reached.push(focused);
    }
    let names: Vec<&str> = reached.iter().filter_map(|f| f[0].as_str()).collect();
    for wanted in [
        "new-session",
        "session-search",
        "session-item",
        "settings-link",
        "share",
        "stop",
        "approval-option",
        "composer",
    ] {
        assert!(
            names.contains(&wanted),
            "Tab never reached {wanted}: {names:?}"
        );
    }
    for focused in &reached {
        if focused[0] != "body" {
            assert_eq!(
                focused[1],
                json!(true),
                "no visible focus on {}",
                focused[0]
            );
        }
    }
    browser.close().await;
}
