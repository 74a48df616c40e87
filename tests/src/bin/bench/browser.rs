//! The web app under a long transcript: headless Chromium opens a
//! 100,000-event session, cold, and the figure is navigation start → the
//! frame that first draws transcript rows (the page's own clock: its
//! `tandem:first-rows` mark, made in that frame; a script polling the page
//! sees it only once WebDriver has run it, after the page's load, so its
//! time is printed beside it and used only if the mark is missing); then,
//! once the
//! whole log is folded in, how many rows the page holds. Each opening
//! is a fresh browser, so every one is cold.

use crate::server::Server;
use anyhow::{bail, Context, Result};
use fantoccini::Client;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

pub const EVENTS: u64 = 100_000;

/// The moments `measure` reads, in the order the page reaches them.
const MOMENTS: [&str; 5] = [
    "WASM fetched",
    "app running",
    "login known",
    "socket open",
    "first events",
];

pub struct Opened {
    /// Where the first paint's time went: the page's moments before it,
    /// each in ms since navigation (absent if the page never reached it).
    pub moments: Vec<(&'static str, Option<f64>)>,
    pub first_paint_ms: f64,
    /// When the polling script saw the first row: never before the paint,
    /// often later, by as long as WebDriver took to start it.
    pub seen_by_poll_ms: f64,
    pub all_folded_ms: f64,
    pub rows: u64,
}

pub async fn open_long_session(bin: &Path, dist: &Path, times: usize) -> Result<Vec<Opened>> {
    let server = Server::start_serving(bin, Some(dist)).await?;
    // A tool call and a message in turn: 100,000 entries, not one message.
    let assistant = server
        .assistant("long", json!([{"do": "entries", "count": EVENTS}]))
        .await?;
    let session = server.session(&assistant).await?;
    let started = Instant::now();
    loop {
        let summary: serde_json::Value = server
            .http
            .get(format!("{}/api/sessions/{session}", server.url))
            .send()
            .await?
            .json()
            .await?;
        if summary["status"] == "completed" {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the long session did not complete: {summary}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut opened = Vec::with_capacity(times);
    for _ in 0..times {
        let chromium = tandem_tests::chromium::launch(1280, 860).await?;
        let result = measure(&chromium.client, &server, &session).await;
        let _ = chromium.client.clone().close().await;
        opened.push(result?);
    }
    Ok(opened)
}

async fn measure(client: &Client, server: &Server, session: &str) -> Result<Opened> {
    // Log in within the page (same origin), so the cookie is the browser's.
    client.goto(&format!("{}/api/health", server.url)).await?;
    let login = client
        .execute_async(
            "const done = arguments[0]; fetch('/api/auth/login', {method: 'POST', \
             headers: {'content-type': 'application/json'}, \
             body: JSON.stringify({name: 'bench', password: 'bench-password'})}) \
             .then(r => done(r.status)).catch(e => done(String(e)));",
            vec![],
        )
        .await?;
    if login != json!(204) && login != json!(200) {
        bail!("login from the page failed: {login}");
    }
    client
        .goto(&format!("{}/#/sessions/{session}", server.url))
        .await?;
    let seen_by_poll = client
        .execute_async(
            "const done = arguments[0]; \
             (function poll() { \
               if (document.querySelector('.transcript > li')) { \
                 requestAnimationFrame(() => done(performance.now())); \
               } else { setTimeout(poll, 2); } \
             })();",
            vec![],
        )
        .await?
        .as_f64()
        .context("first paint time")?;
    let marked = client
        .execute(
            "const e = performance.getEntriesByName('tandem:first-rows')[0]; \
             return e ? e.startTime : null;",
            vec![],
        )
        .await?
        .as_f64();
    let first_paint = marked.map_or(seen_by_poll, |at| at.min(seen_by_poll));
    let moments = client
        .execute(
            "const at = name => { const e = performance.getEntriesByName(name)[0]; \
                                  return e ? e.startTime : null; }; \
             const wasm = performance.getEntriesByType('resource') \
               .filter(e => e.name.endsWith('.wasm')) \
               .sort((a, b) => a.startTime - b.startTime)[0]; \
             return [wasm ? wasm.responseEnd : null, at('tandem:started'), \
                     at('tandem:signed-in'), at('tandem:socket-open'), \
                     at('tandem:first-events')];",
            vec![],
        )
        .await?;
    let moments = MOMENTS
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, moments.get(i).and_then(|v| v.as_f64())))
        .collect();
    let all_folded = client
        .execute_async(
            "const done = arguments[0]; \
             (function poll() { \
               const status = document.querySelector('[data-testid=session-status]'); \
               const text = document.querySelector('.transcript').textContent; \
               const folding = document.querySelector('[data-testid=loading-earlier]'); \
               if (status && status.textContent.includes('Completed') && text.includes('entry 99999') && !folding) { \
                 done(performance.now()); \
               } else { setTimeout(poll, 10); } \
             })();",
            vec![],
        )
        .await?
        .as_f64()
        .context("fold time")?;
    let rows = client
        .execute(
            "return document.querySelectorAll('.transcript > li').length;",
            vec![],
        )
        .await?
        .as_u64()
        .context("row count")?;
    Ok(Opened {
        moments,
        first_paint_ms: first_paint,
        seen_by_poll_ms: seen_by_poll,
        all_folded_ms: all_folded,
        rows,
    })
}

/// Bytes on the wire to load the app: cold (a fresh browser, nothing
/// cached) and warm (the same browser loading it again), as Chromium
/// counts them (`transferSize`: headers and the body as sent).
pub struct Wire {
    pub cold_bytes: u64,
    pub warm_bytes: u64,
}

pub async fn load_the_app(bin: &Path, dist: &Path) -> Result<Wire> {
    let server = Server::start_serving(bin, Some(dist)).await?;
    let chromium = tandem_tests::chromium::launch(1280, 860).await?;
    let client = &chromium.client;
    let result = async {
        client.goto(&format!("{}/", server.url)).await?;
        let cold_bytes = bytes_loaded(client).await?;
        client.goto(&format!("{}/", server.url)).await?;
        let warm_bytes = bytes_loaded(client).await?;
        Ok(Wire {
            cold_bytes,
            warm_bytes,
        })
    }
    .await;
    let _ = chromium.client.clone().close().await;
    result
}

/// Once the page has loaded and fetched its WASM, and a moment for the
/// app's first API calls: the bytes of every request this page made.
async fn bytes_loaded(client: &Client) -> Result<u64> {
    client
        .execute_async(
            "const done = arguments[0]; \
             (function poll() { \
               const ran = performance.getEntriesByType('resource') \
                 .some(e => e.name.endsWith('.wasm') && e.responseEnd > 0) \
                 && document.readyState === 'complete'; \
               if (ran) { setTimeout(() => done(true), 1000); } else { setTimeout(poll, 20); } \
             })();",
            vec![],
        )
        .await?;
    client
        .execute(
            "return [...performance.getEntriesByType('navigation'), \
                     ...performance.getEntriesByType('resource')] \
               .reduce((n, e) => n + (e.transferSize || 0), 0);",
            vec![],
        )
        .await?
        .as_u64()
        .context("transfer sizes")
}
