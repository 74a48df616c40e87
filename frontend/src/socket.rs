//! The app's WebSocket. A `Socket` owns its one connection and that
//! connection's handlers: on a reconnect the old ones are dropped, not
//! leaked. It reconnects with backoff until it is closed, or until the
//! server refuses it for good (`end`).
//!
//! A socket may connect before its handlers exist (`start_early`): the
//! page opens it while it asks who is logged in, and what arrives before
//! the app's handlers are in is kept for them, in order.

use leptos::prelude::*;
use std::collections::VecDeque;
use tandem_shared::ws::{ClientMessage, ServerMessage};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

type OnMessage = Box<dyn Fn(ServerMessage)>;
type OnOpen = Box<dyn Fn()>;

/// One open (or opening) WebSocket and the closures it calls.
struct Connection {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The browser must not call closures that are about to be freed.
        self.ws.set_onmessage(None);
        self.ws.set_onopen(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

#[derive(Clone, Copy)]
pub struct Socket {
    pub connected: RwSignal<bool>,
    /// Set when the socket will never be allowed again (a login that
    /// ended, a revoked share link) or was closed: no more reconnects.
    pub ended: RwSignal<bool>,
    attempt: RwSignal<u32>,
    /// `/api/ws`, or a share link's socket.
    path: StoredValue<String>,
    on_message: StoredValue<Option<OnMessage>, LocalStorage>,
    on_open: StoredValue<Option<OnOpen>, LocalStorage>,
    connection: StoredValue<Option<Connection>, LocalStorage>,
    /// Messages that came before `start` gave them a handler, and any
    /// that came while those were being handed over: order is kept.
    early: StoredValue<VecDeque<ServerMessage>, LocalStorage>,
}

impl Socket {
    /// A socket for `path`, not yet connected: `start` connects it.
    pub fn new(path: String) -> Socket {
        Socket {
            connected: RwSignal::new(false),
            ended: RwSignal::new(false),
            attempt: RwSignal::new(0),
            path: StoredValue::new(path),
            on_message: StoredValue::new_local(None),
            on_open: StoredValue::new_local(None),
            connection: StoredValue::new_local(None),
            early: StoredValue::new_local(VecDeque::new()),
        }
    }

    /// Connects before the app's handlers exist: `on_open` runs on the
    /// first open (until `start` replaces it), and messages wait for
    /// `start`.
    pub fn start_early(self, on_open: impl Fn() + 'static) {
        self.on_open.set_value(Some(Box::new(on_open)));
        self.connect();
    }

    /// Connects; `on_message` gets every server message, `on_open` runs
    /// after every (re)connect.
    /// On a socket started early, what came meanwhile is handed over now,
    /// and an open that already happened is not run again.
    pub fn start(self, on_message: impl Fn(ServerMessage) + 'static, on_open: impl Fn() + 'static) {
        let early = self.connection.with_value(Option::is_some);
        self.on_message.set_value(Some(Box::new(on_message)));
        self.on_open.set_value(Some(Box::new(on_open)));
        if !early {
            self.connect();
            return;
        }
        // One message a task, after the app's first render: the browser
        // paints between them, and a long replay that came early does not
        // hold up the page.
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(0).await;
                // Handled in this same task, so nothing new slips ahead;
                // between tasks, new messages queue behind the rest.
                let Some(message) = self.early.try_update_value(VecDeque::pop_front).flatten()
                else {
                    break;
                };
                self.on_message.with_value(|handler| {
                    if let Some(handler) = handler {
                        handler(message);
                    }
                });
            }
        });
    }

    /// No more reconnects; the open connection, if any, is closed.
    pub fn end(self) {
        self.ended.set(true);
        self.connected.set(false);
        // Dropped later, outside the handler that may be running now.
        leptos::task::spawn_local(async move {
            self.connection.set_value(None);
        });
    }

    fn connect(self) {
        if self.ended.get_untracked() {
            return;
        }
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
            if let Ok(message) = ServerMessage::decode(&text) {
                let waiting = self.early.with_value(|early| !early.is_empty());
                let unhandled = self.on_message.with_value(|handler| match handler {
                    Some(handler) if !waiting => {
                        handler(message);
                        None
                    }
                    _ => Some(message),
                });
                if let Some(message) = unhandled {
                    self.early.update_value(|early| early.push_back(message));
                }
            }
        });
        let on_open = Closure::<dyn FnMut()>::new(move || {
            crate::marks::once(crate::marks::SOCKET_OPEN);
            self.connected.set(true);
            self.attempt.set(0);
            self.on_open.with_value(|handler| {
                if let Some(handler) = handler {
                    handler()
                }
            });
        });
        let on_close = Closure::<dyn FnMut()>::new(move || {
            self.connected.set(false);
            self.retry();
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The previous connection (closed by now) goes, with its closures.
        self.connection.set_value(Some(Connection {
            ws,
            _on_message: on_message,
            _on_open: on_open,
            _on_close: on_close,
        }));
    }

    /// Backoff: 0.5 s, 1 s, 2 s … up to 10 s. Runs from a timer, never
    /// inside a handler of the connection it replaces.
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
        self.connection.with_value(|connection| {
            if let Some(connection) = connection {
                if connection.ws.ready_state() == WebSocket::OPEN {
                    // A closed socket resubscribes on reconnect anyway.
                    let _ = connection.ws.send_with_str(&text);
                }
            }
        });
    }
}
