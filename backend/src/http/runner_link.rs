//! `/api/runner/connect`: a runner's one link to this server. Its token is
//! a runner token (its own kind, never a person's): it opens this link and
//! nothing else. The first frame is the runner's hello; then agent lines
//! come in and stdin, signals and acknowledgements go out, until the link
//! drops or the runner is revoked.

use super::error::ApiError;
use super::AppState;
use crate::accounts::secret;
use crate::runners::links::Links;
use crate::store::RunnerRecord;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::runner::{HubFrame, RunnerFrame, MAX_FRAME_BYTES};
use tokio::sync::mpsc;

/// How long a runner has to say hello.
const HELLO_WAIT: Duration = Duration::from_secs(10);
/// Most agent processes a hello may say it holds (each is looked up).
const MAX_HELD: usize = 1000;

/// The runner a request's bearer token opens, if any.
async fn runner_of(state: &AppState, headers: &HeaderMap) -> Result<RunnerRecord, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::Unauthorized("a runner token is needed".into()))?;
    state
        .store
        .runner_by_token(&secret::digest(token.trim()))
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the runner token is not valid (or was revoked)".into())
        })
}

pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let record = runner_of(&state, &headers).await?;
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| link(state, record, socket)))
}

async fn link(state: AppState, record: RunnerRecord, socket: WebSocket) {
    let runner_id = record.runner.id.clone();
    let (mut sink, mut stream) = socket.split();
    let hello = match tokio::time::timeout(HELLO_WAIT, stream.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<RunnerFrame>(&text),
        _ => return,
    };
    let (version, agent_kinds, workspace_roots, tandem_exe, hub, held) = match hello {
        Ok(RunnerFrame::Hello {
            version,
            agent_kinds,
            workspace_roots,
            tandem_exe,
            hub,
            processes,
        }) => (
            version,
            agent_kinds,
            workspace_roots,
            tandem_exe,
            hub,
            processes,
        ),
        other => {
            let reason = match other {
                Ok(frame) => format!("expected a hello, got {frame:?}"),
                Err(error) => format!("unreadable hello: {error}"),
            };
            send(&mut sink, &HubFrame::Refused { reason }).await;
            return;
        }
    };
    if held.len() > MAX_HELD {
        let reason = format!("a hello may name at most {MAX_HELD} processes");
        send(&mut sink, &HubFrame::Refused { reason }).await;
        return;
    }
    let ctx = state.sessions.context().clone();
    let links: Arc<Links> = ctx.runners.clone();
    // Agents running for sessions another server ran (it died, or the
    // link came back here): taken over, so the welcome wants them.
    crate::session::takeover::expect_held(&state.sessions, &runner_id, &held).await;
    let (out, mut outgoing) = mpsc::unbounded_channel::<HubFrame>();
    let attached = links.attach(
        &runner_id,
        &record.runner.name,
        tandem_exe,
        hub,
        agent_kinds.clone(),
        &held,
        out.clone(),
    );
    let node = ctx.cluster.node_id.clone();
    if let Err(error) = state
        .store
        .runner_linked(
            &runner_id,
            &node,
            &version,
            &agent_kinds,
            &workspace_roots,
            state.now_ms(),
        )
        .await
    {
        tracing::warn!(%error, "could not record a runner's link");
    }
    let _ = out.send(attached.welcome);
    for frame in attached.resend {
        let _ = out.send(frame);
    }
    let kicked = links.kicked(&runner_id);
    loop {
        tokio::select! {
            _ = kicked.notified() => {
                let refused = HubFrame::Refused { reason: "this runner was revoked".into() };
                send(&mut sink, &refused).await;
                break;
            }
            frame = outgoing.recv() => {
                let Some(frame) = frame else { break };
                if !send(&mut sink, &frame).await {
                    break;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let frame = match serde_json::from_str::<RunnerFrame>(&text) {
                        Ok(frame) => frame,
                        Err(error) => {
                            // Its own fault: the link closes, the runner
                            // reconnects and sends again what was not taken.
                            tracing::warn!(runner = %runner_id, %error, "unreadable frame from a runner");
                            break;
                        }
                    };
                    match links.on_frame(&runner_id, frame).await {
                        Ok(replies) => {
                            for reply in replies {
                                let _ = out.send(reply);
                            }
                        }
                        Err(why) => {
                            tracing::warn!(runner = %runner_id, %why, "closing a runner's link");
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    links.detach(&runner_id, attached.generation);
    if let Err(error) = state
        .store
        .runner_unlinked(&runner_id, &node, state.now_ms())
        .await
    {
        tracing::warn!(%error, "could not record a runner's link closing");
    }
}

/// One frame to the runner; false when the link is gone.
async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    frame: &HubFrame,
) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => sink.send(Message::Text(text.into())).await.is_ok(),
        // Nothing of ours fails to encode; skipping it keeps the link.
        Err(_) => true,
    }
}
