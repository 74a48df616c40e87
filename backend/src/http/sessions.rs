//! `/api/sessions`: create, list, read, and step in.

use super::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tandem_shared::api::{
    CreateSession, EventPage, SendMessage, SendMessageResult, SessionSummary,
};
use tandem_shared::{Seq, SessionId};

const DEFAULT_PAGE: i64 = 500;
const MAX_PAGE: i64 = 5000;

#[utoipa::path(get, path = "/api/sessions", responses((status = 200, body = Vec<SessionSummary>)))]
pub async fn list(State(state): State<AppState>) -> Result<ApiJson<Vec<SessionSummary>>, ApiError> {
    Ok(ApiJson(state.store.list_sessions(500).await?))
}

#[utoipa::path(post, path = "/api/sessions", request_body = CreateSession,
    responses((status = 201, body = SessionSummary),
        (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<(StatusCode, ApiJson<SessionSummary>), ApiError> {
    let summary = state
        .sessions
        .create(&body.assistant_id, &body.prompt, None)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(summary)))
}

#[utoipa::path(get, path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = SessionSummary), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<SessionSummary>, ApiError> {
    state
        .store
        .get_session(&SessionId(id))
        .await?
        .map(|record| ApiJson(record.summary))
        .ok_or_else(|| ApiError::NotFound("no session with that id".into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Events with a `seq` above this one (default 0: from the start).
    after: Option<u64>,
    /// At most this many (default 500, at most 5000).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/sessions/{id}/events",
    params(("id" = String, Path, description = "session id"), PageQuery),
    responses((status = 200, body = EventPage), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<ApiJson<EventPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and {MAX_PAGE}"
        )));
    }
    let id = SessionId(id);
    let Some(record) = state.store.get_session(&id).await? else {
        return Err(ApiError::NotFound("no session with that id".into()));
    };
    let after = Seq(query.after.unwrap_or(0));
    let events = state.store.events_after(&id, after, limit).await?;
    let last = events.last().map(|event| event.seq).unwrap_or(after);
    Ok(ApiJson(EventPage {
        more: last < record.summary.last_seq,
        events,
    }))
}

#[utoipa::path(post, path = "/api/sessions/{id}/messages", request_body = SendMessage,
    params(("id" = String, Path, description = "session id")),
    responses((status = 202, body = SendMessageResult), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn send_message(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SendMessage>,
) -> Result<(StatusCode, ApiJson<SendMessageResult>), ApiError> {
    let delivery = state
        .sessions
        .send_message(&SessionId(id), &body.text, None)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(SendMessageResult { delivery }),
    ))
}

#[utoipa::path(post, path = "/api/sessions/{id}/stop",
    params(("id" = String, Path, description = "session id")),
    responses((status = 202, description = "stopping"), (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 409, body = tandem_shared::api::ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.sessions.stop(&SessionId(id), None).await?;
    Ok(StatusCode::ACCEPTED)
}
