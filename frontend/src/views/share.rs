//! `/s/<token>`: one session's transcript, live, for anyone with the link.
//! No navigation, no controls, nothing else of Tandem.

use super::transcript::TranscriptList;
use crate::endpoints::share;
use crate::follow::Follow;
use crate::socket::Socket;
use leptos::prelude::*;
use tandem_shared::api::ErrorCode;
use tandem_shared::auth::SharedSession;
use tandem_shared::ws::ServerMessage;

#[component]
pub fn SharePage(token: String) -> impl IntoView {
    let shared = RwSignal::new(None::<SharedSession>);
    let gone = RwSignal::new(None::<String>);
    let socket = Socket::new(share::socket_path(&token));
    let follow = Follow::new(socket, None);
    let transcript = follow.transcript;
    leptos::task::spawn_local(async move {
        match share::info(&token).await {
            Ok(found) => {
                let session = found.session.id.clone();
                shared.set(Some(found));
                // Connect once the link is known to be good.
                socket.start(
                    move |message| on_message(message, follow, socket, gone),
                    move || follow.resubscribe(),
                );
                follow.follow(Some(session));
            }
            Err(message) => gone.set(Some(message)),
        }
    });
    on_cleanup(move || socket.end());
    let connected = move || shared.with(Option::is_none) || socket.connected.get();
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
                <TranscriptList transcript=transcript catching_up=follow.catching_up />
            </section>
        </div>
    }
}

fn on_message(
    message: ServerMessage,
    follow: Follow,
    socket: Socket,
    gone: RwSignal<Option<String>>,
) {
    match message {
        ServerMessage::Events { session_id, events } => follow.on_events(&session_id, &events),
        ServerMessage::Tail { session_id, events } => follow.on_tail(&session_id, &events),
        ServerMessage::CaughtUp { session_id, .. } => follow.on_caught_up(&session_id),
        // Revoked while open, or dead by the time the socket connected.
        ServerMessage::Error {
            code: ErrorCode::LinkRevoked,
            message,
            ..
        }
        | ServerMessage::Error {
            code: ErrorCode::NotFound,
            message,
            session_id: None,
        } => {
            socket.end();
            gone.set(Some(message));
        }
        _ => {}
    }
}
