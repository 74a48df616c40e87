//! Reading offline: a session opened while Tandem was reachable is kept on
//! the device; with the server gone, the installed app opens it from the
//! kept copy, read-only, marked with when it was kept.

use super::Browser;
use crate::support::{TestServer, Viewer};
use serde_json::json;
use std::time::Duration;
use tandem_shared::Seq;

#[tokio::test]
async fn a_session_opened_before_is_readable_offline_and_marked_as_kept() {
    let mut server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "oracle",
            json!({"turns": [[{"do": "message", "text": "The answer is 42, kept for later."}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "the question").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    viewer.until_ended().await;

    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser.until_text(".transcript", "The answer is 42").await;
    // Kept within a few seconds of the events arriving.
    let kept = browser
        .client
        .execute_async(
            "const id = arguments[0]; const done = arguments[1]; \
             (async function poll() { \
               const cache = await caches.open('tandem-offline'); \
               const index = await cache.match('/offline/index'); \
               const text = index ? await index.text() : ''; \
               if (text.includes(id)) { done(text); } else { setTimeout(poll, 100); } \
             })();",
            vec![json!(session.id.as_str())],
        )
        .await
        .expect("kept");
    assert!(kept.to_string().contains("the question"), "{kept}");
    // The worker registers once the first page is drawn: installed by now
    // or soon.
    browser
        .client
        .execute_async(
            "const done = arguments[0]; navigator.serviceWorker.ready.then(() => done(true));",
            vec![],
        )
        .await
        .expect("service worker ready");

    // Tandem out of reach: the link to the session opens its kept copy.
    server.kill().await;
    browser.client.refresh().await.expect("reload");
    browser
        .until_text("[data-testid=offline-banner]", "Offline")
        .await;
    browser
        .until_text(
            "[data-testid=offline-note]",
            "Read-only: answering needs the network",
        )
        .await;
    browser
        .until_text(
            "[data-testid=offline-session] .transcript",
            "The answer is 42",
        )
        .await;
    browser.screenshot("desktop-offline-session").await;
    // The shelf lists what this device kept.
    browser
        .click("[data-testid=offline-session] header button")
        .await;
    browser
        .until_text("[data-testid=offline-entry]", "the question")
        .await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    tokio::time::sleep(Duration::from_millis(200)).await;
    browser.click("[data-testid=offline-entry]").await;
    browser
        .until_text(
            "[data-testid=offline-session] .transcript",
            "The answer is 42",
        )
        .await;
    browser.screenshot("phone-offline-session").await;
    browser.close().await;
}

/// Logging out leaves nothing of the person's sessions on the device.
#[tokio::test]
async fn logging_out_forgets_what_the_device_kept() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "oracle",
            json!({"turns": [[{"do": "message", "text": "private words"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "private").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser.until_text(".transcript", "private words").await;
    let kept_names = "const done = arguments[0]; \
        caches.keys().then(done).catch(e => done(String(e)));";
    let mut kept = json!([]);
    for _ in 0..100 {
        kept = browser
            .client
            .execute_async(kept_names, vec![])
            .await
            .expect("cache names");
        if kept.to_string().contains("tandem-offline") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(kept.to_string().contains("tandem-offline"), "{kept}");
    browser.click("[data-testid=settings-link]").await;
    browser.click("[data-testid=logout]").await;
    browser.until_text("[data-testid=login-submit]", "").await;
    let after = browser
        .client
        .execute_async(kept_names, vec![])
        .await
        .expect("cache names");
    assert!(!after.to_string().contains("tandem-offline"), "{after}");
    browser.close().await;
}
