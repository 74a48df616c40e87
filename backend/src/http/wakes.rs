//! An assistant's chat, its wakes, and heartbeats: the ways a person wakes it.

use super::access;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use crate::wakes::WakeRequest;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{ChatMessage, ErrorBody, Heartbeat, PostChat, Wake, WakeTrigger};
use tandem_shared::AssistantId;

async fn assistant_id(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<AssistantId, ApiError> {
    Ok(access::assistant(state, caller, &AssistantId(id)).await?.id)
}

#[utoipa::path(get, path = "/api/assistants/{id}/chat",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<ChatMessage>), (status = 404, body = ErrorBody)))]
pub async fn chat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<ChatMessage>>, ApiError> {
    let id = assistant_id(&state, &caller, id).await?;
    Ok(ApiJson(state.store.recent_chat(&id, 200).await?))
}

/// Writes in the assistant's chat, which wakes it: a follow-up in its live
/// session, or a new session.
#[utoipa::path(post, path = "/api/assistants/{id}/chat", request_body = PostChat,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 202, body = Wake), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn post_chat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PostChat>,
) -> Result<(StatusCode, ApiJson<Wake>), ApiError> {
    let assistant_id = assistant_id(&state, &caller, id).await?;
    let wake = state
        .wakes
        .wake(WakeRequest {
            assistant_id,
            trigger: WakeTrigger::Chat,
            source: caller.name(),
            message: body.text,
            task_id: None,
            title: None,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(wake)))
}

/// Every wake of the assistant, newest first.
#[utoipa::path(get, path = "/api/assistants/{id}/wakes",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Wake>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<Wake>>, ApiError> {
    let id = assistant_id(&state, &caller, id).await?;
    Ok(ApiJson(state.store.list_wakes(&id, 500).await?))
}

#[utoipa::path(post, path = "/api/assistants/{id}/heartbeat", request_body = Heartbeat,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 202, body = Wake), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Heartbeat>,
) -> Result<(StatusCode, ApiJson<Wake>), ApiError> {
    let assistant_id = assistant_id(&state, &caller, id).await?;
    let wake = state
        .wakes
        .wake(WakeRequest {
            assistant_id,
            trigger: WakeTrigger::Heartbeat,
            source: caller.name(),
            message: body.message,
            task_id: None,
            title: None,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(wake)))
}
