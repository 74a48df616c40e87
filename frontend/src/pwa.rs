//! The installed app: service worker, online state, app badge and
//! notifications. APIs newer than web-sys's stable set (the Badging API)
//! are reached through `Reflect`; a browser without one goes without.

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Registers `/sw.js`, which keeps the app shell for offline starts.
pub fn register_service_worker() {
    if let Some(window) = web_sys::window() {
        let navigator = window.navigator();
        // Absent where service workers are not allowed (plain http off
        // localhost): nothing to register then.
        if Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
            let _ = navigator.service_worker().register("/sw.js");
        }
    }
}

/// Whether the browser believes it is online, kept up to date.
pub fn online() -> RwSignal<bool> {
    let Some(window) = web_sys::window() else {
        return RwSignal::new(true);
    };
    let online = RwSignal::new(window.navigator().on_line());
    for (event, value) in [("online", true), ("offline", false)] {
        let handler = Closure::<dyn FnMut()>::new(move || online.set(value));
        let _ = window.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        handler.forget();
    }
    online
}

/// The installed app's icon badge: the number of approvals waiting.
pub fn set_badge(count: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let (name, args) = if count > 0 {
        ("setAppBadge", vec![JsValue::from(count)])
    } else {
        ("clearAppBadge", Vec::new())
    };
    if let Ok(function) = Reflect::get(&navigator, &name.into()) {
        if let Some(function) = function.dyn_ref::<Function>() {
            let _ = function.apply(&navigator, &args.into_iter().collect());
        }
    }
}

pub fn notifications_allowed() -> bool {
    notifications_supported() && Notification::permission() == NotificationPermission::Granted
}

pub fn notifications_supported() -> bool {
    web_sys::window()
        .map(|w| Reflect::has(&w, &"Notification".into()).unwrap_or(false))
        .unwrap_or(false)
}

/// Asks the person; `allowed` follows the answer.
pub fn ask_for_notifications(allowed: RwSignal<bool>) {
    if !notifications_supported() {
        return;
    }
    if let Ok(promise) = Notification::request_permission() {
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            allowed.set(notifications_allowed());
        });
    }
}

/// Shows a notification while the app is hidden; clicking it opens
/// `hash` (the service worker focuses the app and navigates).
pub fn notify(title: &str, body: &str, hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hidden = window.document().map(|d| d.hidden()).unwrap_or(false);
    if !hidden || !notifications_allowed() {
        return;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(hash);
    let data = js_sys::Object::new();
    let _ = Reflect::set(&data, &"url".into(), &format!("/{hash}").into());
    options.set_data(&data);
    let Ok(ready) = window.navigator().service_worker().ready() else {
        return;
    };
    let title = title.to_owned();
    leptos::task::spawn_local(async move {
        if let Ok(registration) = wasm_bindgen_futures::JsFuture::from(ready).await {
            let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
            let _ = registration.show_notification_with_options(&title, &options);
        }
    });
}

/// This browser's push subscription for Tandem: made (or the one it has)
/// with the server's key, as `PushSubscription.toJSON()` gives it. Push is
/// reached through `Reflect`, as web-sys's push types are not enabled.
pub async fn push_subscription(server_key: &str) -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let navigator = window.navigator();
    if !Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return Err("this browser has no service workers here (use https or localhost)".into());
    }
    let ready = navigator
        .service_worker()
        .ready()
        .map_err(|_| "the service worker is not ready")?;
    let registration = wasm_bindgen_futures::JsFuture::from(ready)
        .await
        .map_err(|_| "the service worker did not start")?;
    let manager = Reflect::get(&registration, &"pushManager".into())
        .ok()
        .filter(|m| !m.is_undefined())
        .ok_or("this browser does not offer push")?;
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"userVisibleOnly".into(), &true.into());
    let key = base64url_bytes(server_key).ok_or("the server's key is not base64url")?;
    let _ = Reflect::set(&options, &"applicationServerKey".into(), &key.into());
    let subscribe = Reflect::get(&manager, &"subscribe".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or("this browser does not offer push")?;
    let promise: js_sys::Promise = subscribe
        .call1(&manager, &options)
        .map_err(|_| "push subscription failed")?
        .unchecked_into();
    let subscription = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|error| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "the browser refused to subscribe".into())
        })?;
    let to_json = Reflect::get(&subscription, &"toJSON".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or("the subscription has no toJSON")?;
    to_json
        .call0(&subscription)
        .map_err(|_| "the subscription could not be read".into())
}

fn base64url_bytes(text: &str) -> Option<js_sys::Uint8Array> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    let padded = format!("{standard}{}", "=".repeat((4 - standard.len() % 4) % 4));
    let binary = web_sys::window()?.atob(&padded).ok()?;
    let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
    Some(js_sys::Uint8Array::from(bytes.as_slice()))
}

/// A name for this device the person will recognise in a list.
pub fn device_name() -> String {
    let agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|b| agent.contains(*b))
        .map(|b| match *b {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            _ => "Safari",
        })
        .unwrap_or("Browser");
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| *name)
    .unwrap_or("a device");
    format!("{browser} on {system}")
}
