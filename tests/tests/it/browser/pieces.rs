//! The web app's first load carries the first page's code only: the
//! assistant page, settings, tasks and the new-assistant form are pieces of
//! the WASM that arrive when first opened, and the service worker keeps
//! every piece, so they open offline as well.

use super::Browser;
use crate::support::TestServer;
use serde_json::{json, Value};

/// The pieces the page lists for the service worker.
const LISTED: &str = "return JSON.parse(document.getElementById('tandem-pieces').textContent);";

/// Which of the page's loaded resources were pieces.
const LOADED: &str = "return performance.getEntriesByType('resource')\
     .map(e => new URL(e.name).pathname)\
     .filter(p => /^\\/(split|chunk)_.*\\.wasm$/.test(p));";

/// The pieces this page has fetched so far.
async fn loaded_pieces(browser: &Browser) -> Vec<String> {
    names(
        browser
            .client
            .execute(LOADED, vec![])
            .await
            .expect("loaded"),
    )
}

fn names(value: Value) -> Vec<String> {
    serde_json::from_value(value).expect("a list of paths")
}

#[tokio::test]
async fn pages_load_their_code_when_first_opened_and_the_worker_keeps_every_piece() {
    let server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    let listed = names(browser.client.execute(LISTED, vec![]).await.expect("list"));
    assert!(
        listed.iter().any(|p| p.starts_with("/split_settings_page")),
        "the build split settings into a piece: {listed:?}"
    );

    // A logged-in person's first load (the login form is a piece itself):
    // the first page is up and has loaded no piece.
    browser.client.refresh().await.expect("reload");
    browser
        .until_dom_text("[data-testid=signed-in-as]", crate::support::ADMIN)
        .await;
    let loaded = loaded_pieces(&browser).await;
    assert_eq!(
        loaded,
        Vec::<String>::new(),
        "the first load fetched pieces"
    );

    // Settings: its piece arrives, and the page works.
    browser.click("[data-testid=settings-link]").await;
    browser
        .until_text("[data-testid=settings] h1", "Settings")
        .await;
    let loaded = loaded_pieces(&browser).await;
    assert!(
        loaded.iter().any(|p| p.starts_with("/split_settings_page")),
        "opening settings fetched its piece: {loaded:?}"
    );
    assert!(
        !loaded
            .iter()
            .any(|p| p.starts_with("/split_assistant_page")),
        "settings did not fetch the assistant page's piece: {loaded:?}"
    );

    // Every piece the page lists is in the worker's cache.
    let kept = browser
        .client
        .execute_async(
            "const [wanted, done] = arguments; \
             navigator.serviceWorker.ready \
               .then(async () => { \
                 const missing = []; \
                 for (const key of await caches.keys()) { if (!key.startsWith('tandem-shell-')) continue; \
                   const cache = await caches.open(key); \
                   for (const p of wanted) if (!(await cache.match(p))) missing.push(p); \
                   return done(missing); } \
                 done(['no shell cache']); }) \
               .catch(e => done([String(e)]));",
            vec![json!(listed)],
        )
        .await
        .expect("cache");
    assert_eq!(kept, json!([]), "pieces the worker did not keep");

    // A session's page, opened first in a fresh page, paints from the
    // first load: no piece on its path.
    let assistant = server
        .scripted_assistant(
            "pieces",
            json!({"turns": [[{"do": "entries", "count": 20}, {"do": "message", "text": "All done."}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    crate::support::until_json(
        &server,
        &format!("/api/sessions/{}", session.id),
        "the session to end",
        |s| s["status"] == "completed",
    )
    .await;
    browser.open_session(&server, &session.id).await;
    browser.client.refresh().await.expect("reload");
    browser
        .until_dom_text("[data-testid=entry-summary]", "Finished")
        .await;
    let loaded = loaded_pieces(&browser).await;
    assert_eq!(
        loaded,
        Vec::<String>::new(),
        "the session page fetched pieces"
    );

    // A missing piece's name answers 404, never the page in its place.
    let (status, _) = server
        .get("/split_settings_page_0-0123456789abcdef.wasm")
        .await;
    assert_eq!(status, 404);
    browser.close().await;
}
