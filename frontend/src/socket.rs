//! The one WebSocket of the app. It resubscribes from the last `seq` held
//! after every reconnect, with backoff, so nothing is missed or doubled.

use leptos::prelude::*;
use std::cell::RefCell;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

thread_local! {
    static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
}

#[derive(Clone, Copy)]
pub struct Socket {
    pub connected: RwSignal<bool>,
    on_message: StoredValue<Box<dyn Fn(ServerMessage) + Send + Sync>>,
    on_open: StoredValue<Box<dyn Fn() + Send + Sync>>,
    attempt: RwSignal<u32>,
    /// `/api/ws`, or a share link's `/api/share/<token>/ws`.
    path: StoredValue<String>,
    /// Set when the server says the socket will never be allowed again (a
    /// revoked share link): no more reconnects.
    pub ended: RwSignal<bool>,
}

impl Socket {
    pub fn new(
        path: String,
        on_message: impl Fn(ServerMessage) + Send + Sync + 'static,
        on_open: impl Fn() + Send + Sync + 'static,
    ) -> Socket {
        let socket = Socket {
            connected: RwSignal::new(false),
            on_message: StoredValue::new(Box::new(on_message)),
            on_open: StoredValue::new(Box::new(on_open)),
            attempt: RwSignal::new(0),
            path: StoredValue::new(path),
            ended: RwSignal::new(false),
        };
        socket.connect();
        socket
    }

    fn connect(self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let path = self.path.get_value();
        let Ok(ws) = WebSocket::new(&format!("{scheme}://{host}{path}")) else {
            self.retry();
            return;
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            if let Ok(message) = serde_json::from_str::<ServerMessage>(&text) {
                self.on_message.with_value(|handle| handle(message));
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            self.connected.set(true);
            self.attempt.set(0);
            self.on_open.with_value(|handle| handle());
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            self.connected.set(false);
            self.retry();
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        SOCKET.with(|slot| *slot.borrow_mut() = Some(ws));
    }

    /// Backoff: 0.5 s, 1 s, 2 s … up to 10 s.
    fn retry(self) {
        if self.ended.get_untracked() {
            return;
        }
        let attempt = self.attempt.get_untracked();
        self.attempt.set(attempt + 1);
        let delay = (500u32 << attempt.min(5)).min(10_000);
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(delay).await;
            self.connect();
        });
    }

    pub fn send(&self, message: &ClientMessage) {
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        SOCKET.with(|slot| {
            if let Some(ws) = slot.borrow().as_ref() {
                if ws.ready_state() == WebSocket::OPEN {
                    let _ = ws.send_with_str(&text);
                }
            }
        });
    }
}
