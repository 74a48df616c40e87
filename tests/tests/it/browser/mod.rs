//! The web app in real headless Chromium, driven over WebDriver: the whole
//! loop a person goes through, a denied approval, and what bad agents look
//! like in the UI. Screenshots land in `target/screenshots/`. This file is
//! the driver; the tests are in one file per area.

use crate::support::{static_dir, TestServer, ADMIN, ADMIN_PASSWORD, DEADLINE};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A phone's screen, in CSS pixels.
const PHONE_SIZE: (u32, u32) = (390, 844);

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

    /// Picks `value` in the select matching `css`, as a person would.
    async fn select(&self, css: &str, value: &str) {
        self.client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
        self.client
            .execute(
                "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
                 s.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("could not pick {value} in {css}: {e}"));
    }

    /// Scrolls the element matching `css` into view.
    async fn scroll_to(&self, css: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView();",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("could not scroll to {css}: {e}"));
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

mod accounts;
mod approvals;
mod assistants;
mod changes;
mod layout;
mod offline;
mod pieces;
mod push;
mod runners;
mod sessions;
mod usage;
