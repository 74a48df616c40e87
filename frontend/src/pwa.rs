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
