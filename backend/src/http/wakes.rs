//! An assistant's chat, its wakes, and heartbeats: the ways a person wakes it.

use super::access::Visible;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::wakes::WakeRequest;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{
    Assistant, ChatMessage, ErrorBody, Heartbeat, PostChat, Wake, WakeTrigger,
};

#[utoipa::path(get, path = "/api/assistants/{id}/chat",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<ChatMessage>), (status = 404, body = ErrorBody)))]
pub async fn chat(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<ChatMessage>>, ApiError> {
    Ok(ApiJson(state.store.recent_chat(&item.id, 200).await?))
}

/// Writes in the assistant's chat, which wakes it: a follow-up in its live
/// session, or a new session.
#[utoipa::path(post, path = "/api/assistants/{id}/chat", request_body = PostChat,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 202, body = Wake), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn post_chat(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<Assistant>,
    ApiJson(body): ApiJson<PostChat>,
) -> Result<(StatusCode, ApiJson<Wake>), ApiError> {
    wake_by_person(&state, &caller, item, WakeTrigger::Chat, body.text).await
}

/// Every wake of the assistant, newest first.
#[utoipa::path(get, path = "/api/assistants/{id}/wakes",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Wake>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<Wake>>, ApiError> {
    Ok(ApiJson(state.store.list_wakes(&item.id, 500).await?))
}

#[utoipa::path(post, path = "/api/assistants/{id}/heartbeat", request_body = Heartbeat,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 202, body = Wake), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<Assistant>,
    ApiJson(body): ApiJson<Heartbeat>,
) -> Result<(StatusCode, ApiJson<Wake>), ApiError> {
    let skipped = match &body.precheck {
        Some(check) => {
            super::routines::allowed_precheck(&caller, check)?;
            let key = crate::wakes::precheck::heartbeat_key(item.id.as_str(), &check.command);
            let workspace = std::path::Path::new(&item.workspace);
            match crate::wakes::precheck::run(&state.store, &key, check, workspace, state.now_ms())
                .await
            {
                crate::wakes::precheck::Verdict::Wake => None,
                crate::wakes::precheck::Verdict::Skip(reason) => Some(reason),
            }
        }
        None => None,
    };
    let wake = state
        .wakes
        .wake(WakeRequest {
            assistant_id: item.id,
            trigger: WakeTrigger::Heartbeat,
            source: caller.name(),
            message: body.message,
            task_id: None,
            title: None,
            skipped,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(wake)))
}

/// A person wakes the assistant with a message.
async fn wake_by_person(
    state: &AppState,
    caller: &Caller,
    assistant: Assistant,
    trigger: WakeTrigger,
    message: String,
) -> Result<(StatusCode, ApiJson<Wake>), ApiError> {
    let wake = state
        .wakes
        .wake(WakeRequest {
            assistant_id: assistant.id,
            trigger,
            source: caller.name(),
            message,
            task_id: None,
            title: None,
            skipped: None,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(wake)))
}
