//! `/api/sessions/{id}/changes`, `/review` and `/land`: a session's change
//! as files and hunks, a review sent back to the agent, and landing it.
//! `/api/assistants/{id}/worktrees` lists an assistant's worktrees.

use super::access::Visible;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::AppState;
use crate::review::{self, ReviewError};
use crate::store::SessionRecord;
use crate::worktrees::WorktreeError;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tandem_shared::api::{Assistant, SendMessageResult};
use tandem_shared::changes::{Changes, Land, Landed, SendReview, Worktree};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The page of hunks starting at this file (default 0); every page
    /// lists all files with their counts.
    pub from_file: Option<u32>,
}

/// The session's change: its worktree's diff against the commit it was
/// made at (uncommitted work and new files included), or, in a workspace
/// without git, the edits its tool calls made.
#[utoipa::path(get, path = "/api/sessions/{id}/changes",
    params(("id" = String, Path, description = "session id"), ChangesQuery),
    responses((status = 200, body = Changes), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    Visible { item: record, .. }: Visible<SessionRecord>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<ApiJson<Changes>, ApiError> {
    let workspace = workspace_of(&state, &record).await?;
    let first = query.from_file.unwrap_or(0) as usize;
    let changes = review::changes(state.sessions.context(), &record, &workspace, first).await?;
    Ok(ApiJson(changes))
}

/// Sends every comment as one follow-up quoting file, lines and text:
/// queued behind the current turn, or with `interrupt` at once.
#[utoipa::path(post, path = "/api/sessions/{id}/review", request_body = SendReview,
    params(("id" = String, Path, description = "session id")),
    responses((status = 202, body = SendMessageResult), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody), (status = 409, body = tandem_shared::api::ErrorBody)))]
pub async fn send_review(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<SessionRecord>,
    ApiJson(body): ApiJson<SendReview>,
) -> Result<(StatusCode, ApiJson<SendMessageResult>), ApiError> {
    if !item.summary.status.is_live() {
        if let Some(reached) =
            super::sessions::over_budget(&state, &item.summary.assistant_id).await?
        {
            return Err(ApiError::Conflict(super::sessions::refusal(&reached)));
        }
    }
    let workspace = workspace_of(&state, &item).await?;
    let delivery =
        review::send_review(&state.sessions, &item, &workspace, &caller.name(), &body).await?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(SendMessageResult { delivery }),
    ))
}

/// Merges the session's branch into its base (a conflict is refused with
/// the files named), keeps it, discards it, pushes it, or opens a pull
/// request. Never while the session runs.
#[utoipa::path(post, path = "/api/sessions/{id}/land", request_body = Land,
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = Landed), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody), (status = 409, body = tandem_shared::api::ErrorBody)))]
pub async fn land(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<SessionRecord>,
    ApiJson(action): ApiJson<Land>,
) -> Result<ApiJson<Landed>, ApiError> {
    let assistant = item.summary.assistant_name.clone();
    let landed = review::land(&state.sessions, &item, &assistant, &caller.name(), action).await?;
    Ok(ApiJson(landed))
}

/// The assistant's worktrees: those in use and kept branches first.
#[utoipa::path(get, path = "/api/assistants/{id}/worktrees",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Worktree>), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn worktrees(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
) -> Result<ApiJson<Vec<Worktree>>, ApiError> {
    Ok(ApiJson(state.store.worktrees_of(&assistant.id).await?))
}

async fn workspace_of(state: &AppState, record: &SessionRecord) -> Result<String, ApiError> {
    Ok(state
        .store
        .get_assistant(&record.summary.assistant_id)
        .await?
        .map(|a| a.workspace)
        .unwrap_or_default())
}

impl From<ReviewError> for ApiError {
    fn from(error: ReviewError) -> Self {
        match error {
            ReviewError::Invalid(message) => ApiError::BadRequest(message),
            ReviewError::Session(error) => error.into(),
            ReviewError::Store(error) => error.into(),
            ReviewError::Worktree(WorktreeError::Git(
                crate::worktrees::git::GitError::Missing(why),
            )) => ApiError::Unavailable(format!("git is not installed on the server ({why})")),
            error @ (ReviewError::NoWorktree | ReviewError::Running | ReviewError::Worktree(_)) => {
                ApiError::Conflict(error.to_string())
            }
        }
    }
}
