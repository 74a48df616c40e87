//! `/s/<token>`: one session's transcript, live, for anyone with the link.
//! No navigation, no controls, nothing else of Tandem.

use super::transcript::TranscriptList;
use crate::api;
use crate::socket::Socket;
use leptos::prelude::*;
use tandem_shared::auth::SharedSession;
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::{ClientMessage, ServerMessage};

#[component]
pub fn SharePage(token: String) -> impl IntoView {
    let shared = RwSignal::new(None::<SharedSession>);
    let gone = RwSignal::new(None::<String>);
    let transcript = RwSignal::new(Transcript::default());
    let info_path = format!("/api/share/{token}");
    leptos::task::spawn_local(async move {
        match api::get::<SharedSession>(&info_path).await {
            Ok(found) => shared.set(Some(found)),
            Err(message) => gone.set(Some(message)),
        }
    });
    let socket_slot = StoredValue::new(None::<Socket>);
    let on_message = move |message: ServerMessage| match message {
        ServerMessage::Events { events, .. } => transcript.update(|t| {
            for event in &events {
                t.apply(event);
            }
        }),
        ServerMessage::Error { code, message, .. } if code == "link_revoked" => {
            if let Some(socket) = socket_slot.get_value() {
                socket.ended.set(true);
            }
            gone.set(Some(message));
        }
        _ => {}
    };
    // After every (re)connect: resubscribe from the last seq held.
    let on_open = move || {
        let after = transcript.with_untracked(|t| t.last_seq);
        if let (Some(socket), Some(found)) = (socket_slot.get_value(), shared.get_untracked()) {
            socket.send(&ClientMessage::Subscribe {
                session_id: found.session.id,
                after,
            });
        }
    };
    // Connect once the link is known to be good.
    let socket_path = format!("/api/share/{token}/ws");
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) || shared.with(Option::is_none) {
            return started.unwrap_or(false);
        }
        socket_slot.set_value(Some(Socket::new(socket_path.clone(), on_message, on_open)));
        true
    });
    let connected = move || socket_slot.get_value().is_none_or(|s| s.connected.get());
    view! {
        <div class="share-page">
            <section class="session-view" data-testid="share-view">
                <header class="session-header">
                    <div>
                        <h1 data-testid="session-title">{move || transcript.with(|t| t.title.clone())
                            .or_else(|| shared.get().map(|s| s.session.title))
                            .unwrap_or_else(|| "Shared session".into())}</h1>
                        <div class="session-meta">
                            {move || shared.get().map(|s| s.session.assistant_name)} " · "
                            <span class="status-badge" data-testid="session-status">
                                {move || transcript.with(|t| t.status).or_else(|| shared.get().map(|s| s.session.status))
                                    .map(|s| s.label()).unwrap_or("…")}
                            </span>
                        </div>
                        <div class="readonly-note">"Read-only: shared from Tandem"</div>
                    </div>
                </header>
                {move || gone.get().map(|message| view! {
                    <div class="banner banner-error" role="alert" data-testid="share-gone">{message}</div>
                })}
                <Show when=move || gone.get().is_none() && !connected()>
                    <div class="banner banner-warn" role="status">"Reconnecting…"</div>
                </Show>
                <TranscriptList transcript=transcript />
            </section>
        </div>
    }
}
