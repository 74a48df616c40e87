//! Sessions kept for reading offline: the newest events of the last few
//! sessions a person opened, in the browser's Cache Storage (the service
//! worker's shell is there too). Read-only: answering needs the network.
//! Forgotten at logout. Cache Storage is reached through `Reflect`, as
//! web-sys's cache types are not enabled.

use js_sys::{Function, Promise, Reflect};
use serde::{Deserialize, Serialize};
use tandem_shared::{SessionId, TranscriptEvent};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const CACHE: &str = "tandem-offline";
const INDEX: &str = "/offline/index";
/// Sessions kept, newest first.
const KEEP: usize = 10;
/// Events kept of one session (its newest), and their most bytes.
pub const EVENTS: usize = 1_000;
const MOST_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    pub session_id: SessionId,
    pub title: String,
    /// When it was kept, in ms since the epoch.
    pub saved_at: f64,
    pub events: Vec<TranscriptEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeptEntry {
    pub session_id: SessionId,
    pub title: String,
    pub saved_at: f64,
}

fn path(session_id: &SessionId) -> String {
    format!(
        "/offline/sessions/{}",
        js_sys::encode_uri_component(session_id.as_str())
    )
}

fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let function = Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    function.apply(target, &args.iter().cloned().collect()).ok()
}

async fn wait(value: JsValue) -> Option<JsValue> {
    JsFuture::from(value.dyn_into::<Promise>().ok()?).await.ok()
}

async fn cache() -> Option<JsValue> {
    let window = web_sys::window()?;
    let caches = Reflect::get(&window, &"caches".into()).ok()?;
    if caches.is_undefined() {
        return None;
    }
    wait(call(&caches, "open", &[CACHE.into()])?).await
}

async fn read(key: &str) -> Option<String> {
    let cache = cache().await?;
    let response = wait(call(&cache, "match", &[key.into()])?).await?;
    if response.is_undefined() {
        return None;
    }
    wait(call(&response, "text", &[])?).await?.as_string()
}

async fn write(key: &str, text: &str) -> Option<()> {
    let cache = cache().await?;
    let response = web_sys::Response::new_with_opt_str(Some(text)).ok()?;
    wait(call(&cache, "put", &[key.into(), response.into()])?).await?;
    Some(())
}

async fn remove(key: &str) {
    if let Some(cache) = cache().await {
        if let Some(done) = call(&cache, "delete", &[key.into()]) {
            let _ = wait(done).await;
        }
    }
}

pub async fn index() -> Vec<KeptEntry> {
    read(INDEX)
        .await
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub async fn load(session_id: &SessionId) -> Option<Kept> {
    serde_json::from_str(&read(&path(session_id)).await?).ok()
}

/// Keeps a session's newest events (as many as fit), first in the list;
/// the oldest kept session past `KEEP` is forgotten.
pub async fn keep(mut kept: Kept) {
    let mut text = serde_json::to_string(&kept).unwrap_or_default();
    while text.len() > MOST_BYTES && kept.events.len() > 1 {
        let half = kept.events.len() / 2;
        kept.events.drain(..half);
        text = serde_json::to_string(&kept).unwrap_or_default();
    }
    if write(&path(&kept.session_id), &text).await.is_none() {
        return;
    }
    let mut entries = index().await;
    entries.retain(|e| e.session_id != kept.session_id);
    entries.insert(
        0,
        KeptEntry {
            session_id: kept.session_id.clone(),
            title: kept.title.clone(),
            saved_at: kept.saved_at,
        },
    );
    for old in entries.split_off(KEEP.min(entries.len())) {
        remove(&path(&old.session_id)).await;
    }
    if let Ok(text) = serde_json::to_string(&entries) {
        let _ = write(INDEX, &text).await;
    }
}

/// At logout: nothing of the person's sessions stays on the device.
pub async fn forget_all() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(caches) = Reflect::get(&window, &"caches".into()) {
        if !caches.is_undefined() {
            if let Some(done) = call(&caches, "delete", &[CACHE.into()]) {
                let _ = wait(done).await;
            }
        }
    }
}
