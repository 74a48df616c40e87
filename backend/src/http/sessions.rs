//! `/api/sessions`: create, list, read, and step in.

use super::access::{self, Visible};
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::AppState;
use crate::store::SessionRecord;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tandem_shared::api::{
    ArchiveSessions, CreateSession, Delivery, EventPage, SendMessage, SendMessageResult,
    SessionQuery, SessionSummary,
};
use tandem_shared::Seq;

const DEFAULT_PAGE: i64 = 500;
pub(crate) const MAX_PAGE: i64 = 5000;

/// Search words, at most this many characters.
pub(crate) const MAX_QUERY: usize = 200;
/// Sessions archived or brought back in one request, at most.
pub(crate) const MAX_ARCHIVE: usize = 500;

#[utoipa::path(get, path = "/api/sessions", params(SessionQuery),
    responses((status = 200, body = Vec<SessionSummary>), (status = 400, body = tandem_shared::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SessionQuery>,
) -> Result<ApiJson<Vec<SessionSummary>>, ApiError> {
    if query
        .q
        .as_deref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY)
    {
        return Err(ApiError::BadRequest(format!(
            "q: at most {MAX_QUERY} characters"
        )));
    }
    Ok(ApiJson(
        state
            .store
            .list_sessions(caller.scope(), &query, 500)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/sessions/archive", request_body = ArchiveSessions,
    responses((status = 204), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ArchiveSessions>,
) -> Result<StatusCode, ApiError> {
    if body.session_ids.is_empty() || body.session_ids.len() > MAX_ARCHIVE {
        return Err(ApiError::BadRequest(format!(
            "session_ids: 1 to {MAX_ARCHIVE} sessions"
        )));
    }
    // Every one must be the caller's to see before any changes.
    let mut records = Vec::with_capacity(body.session_ids.len());
    for id in &body.session_ids {
        let record = access::session(&state, &caller, id).await?;
        // A live session's actor republishes its summary on every change:
        // it would come straight back. Archive what has ended.
        if body.archived && record.summary.status.is_live() {
            return Err(ApiError::Conflict(format!(
                "\"{}\" is still {}; stop it before archiving",
                record.summary.title,
                record.summary.status.label().to_lowercase()
            )));
        }
        records.push(record);
    }
    let at = body.archived.then(|| state.now_ms());
    for mut record in records {
        state
            .store
            .set_session_archived(&record.summary.id, at)
            .await?;
        record.summary.archived = body.archived;
        state.hub.publish_session(record.summary);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/sessions", request_body = CreateSession,
    responses((status = 201, body = SessionSummary),
        (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<(StatusCode, ApiJson<SessionSummary>), ApiError> {
    access::assistant(&state, &caller, &body.assistant_id).await?;
    if let Some(reached) = over_budget(&state, &body.assistant_id).await? {
        return Err(ApiError::Conflict(refusal(&reached)));
    }
    let summary = state
        .sessions
        .create(&body.assistant_id, &body.prompt, Some(caller.name()))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(summary)))
}

/// The budget the assistant has reached this month, if one.
pub(super) async fn over_budget(
    state: &AppState,
    assistant_id: &tandem_shared::AssistantId,
) -> Result<Option<tandem_shared::budget::BudgetStanding>, ApiError> {
    let name = state
        .store
        .get_assistant(assistant_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(crate::budgets::reached(&state.store, assistant_id, &name, state.now_ms()).await?)
}

pub(super) fn refusal(reached: &tandem_shared::budget::BudgetStanding) -> String {
    let words = reached.words();
    let mut refusal = String::from("Not started: ");
    refusal.push_str(&words);
    refusal
}

#[utoipa::path(get, path = "/api/sessions/{id}",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = SessionSummary), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn get(
    Visible { item: record, .. }: Visible<SessionRecord>,
) -> Result<ApiJson<SessionSummary>, ApiError> {
    Ok(ApiJson(record.summary))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Events with a `seq` above this one (default 0: from the start).
    pub after: Option<i64>,
    /// At most this many (default 500, at most 5000).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/sessions/{id}/events",
    params(("id" = String, Path, description = "session id"), PageQuery),
    responses((status = 200, body = EventPage), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Visible { item: record, .. }: Visible<SessionRecord>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<ApiJson<EventPage>, ApiError> {
    page(&state, &record, &query).await
}

/// One page of a transcript the caller may read.
pub async fn page(
    state: &AppState,
    record: &crate::store::SessionRecord,
    query: &PageQuery,
) -> Result<ApiJson<EventPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and {MAX_PAGE}"
        )));
    }
    let after = match u64::try_from(query.after.unwrap_or(0)) {
        Ok(after) => Seq(after),
        Err(_) => return Err(ApiError::BadRequest("after: must be 0 or more".into())),
    };
    let events = state
        .store
        .events_after(&record.summary.id, after, limit)
        .await?;
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
    Visible { caller, item }: Visible<SessionRecord>,
    ApiJson(body): ApiJson<SendMessage>,
) -> Result<(StatusCode, ApiJson<SendMessageResult>), ApiError> {
    // Into a live session it queues; an ended one would start a new run.
    if !item.summary.status.is_live() {
        if let Some(reached) = over_budget(&state, &item.summary.assistant_id).await? {
            return Err(ApiError::Conflict(refusal(&reached)));
        }
    }
    let id = item.summary.id;
    let delivery = state
        .sessions
        .send_message(&id, &body.text, Some(caller.name()), body.interrupt)
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
    Visible { caller, item }: Visible<SessionRecord>,
) -> Result<StatusCode, ApiError> {
    let id = item.summary.id;
    state.sessions.stop(&id, Some(caller.name())).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Freezes the agent: its process group is stopped and nothing runs until
/// it is resumed. Everyone sees the session `paused`, and by whom.
#[utoipa::path(post, path = "/api/sessions/{id}/pause",
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 409, body = tandem_shared::api::ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<SessionRecord>,
) -> Result<StatusCode, ApiError> {
    let id = item.summary.id;
    state.sessions.pause(&id, Some(caller.name())).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Continues a paused session; an ended or interrupted one is resumed
/// with a request to carry on (warm or cold per the continuity rules).
#[utoipa::path(post, path = "/api/sessions/{id}/resume",
    params(("id" = String, Path, description = "session id")),
    responses((status = 202, body = SendMessageResult), (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 409, body = tandem_shared::api::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Visible {
        caller,
        item: record,
    }: Visible<SessionRecord>,
) -> Result<(StatusCode, ApiJson<SendMessageResult>), ApiError> {
    let id = record.summary.id.clone();
    // Past a reached budget only an admin resumes, and the run is then
    // not paused for it again.
    let past_budget = match over_budget(&state, &record.summary.assistant_id).await? {
        Some(reached) if !caller.user.admin => {
            return Err(ApiError::Conflict(format!(
                "{}; an admin can raise the budget or resume past it",
                refusal(&reached)
            )))
        }
        Some(_) => true,
        None => false,
    };
    if record.summary.status == tandem_shared::SessionStatus::Paused {
        state
            .sessions
            .unpause(&id, Some(caller.name()), past_budget)
            .await?;
        return Ok((
            StatusCode::ACCEPTED,
            ApiJson(SendMessageResult {
                delivery: Delivery::Delivered,
            }),
        ));
    }
    if record.summary.status.is_live() {
        return Err(ApiError::Conflict(
            "the session is running, not paused".into(),
        ));
    }
    let delivery = state
        .sessions
        .send_message(&id, CARRY_ON, Some(caller.name()), false)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(SendMessageResult { delivery }),
    ))
}

/// What a bare resume of an ended session says to the agent.
const CARRY_ON: &str = "Please carry on where you left off.";
