//! Answering an agent's permission request: the first answer wins.

use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use tandem_shared::api::{Decide, DecisionResult, PendingApproval};
use tandem_shared::ApprovalId;

#[utoipa::path(post, path = "/api/approvals/{id}/decision", request_body = Decide,
    params(("id" = String, Path, description = "approval id")),
    responses((status = 200, body = DecisionResult),
        (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 409, description = "already decided", body = tandem_shared::api::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Decide>,
) -> Result<ApiJson<DecisionResult>, ApiError> {
    let result = state
        .sessions
        .decide(&ApprovalId(id), &body.option_id, None)
        .await?;
    Ok(ApiJson(result))
}

/// Every approval waiting for a person, across all assistants, oldest first.
#[utoipa::path(get, path = "/api/approvals", responses((status = 200, body = Vec<PendingApproval>)))]
pub async fn pending(
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<PendingApproval>>, ApiError> {
    Ok(ApiJson(state.store.pending_approvals().await?))
}
