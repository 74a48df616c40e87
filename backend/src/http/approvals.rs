//! Answering an agent's permission request: the first answer wins.

use super::access::Visible;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::store::ApprovalRecord;
use axum::extract::State;
use tandem_shared::api::{Decide, DecisionResult, PendingApproval};

#[utoipa::path(post, path = "/api/approvals/{id}/decision", request_body = Decide,
    params(("id" = String, Path, description = "approval id")),
    responses((status = 200, body = DecisionResult),
        (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 409, description = "already decided", body = tandem_shared::api::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<ApprovalRecord>,
    ApiJson(body): ApiJson<Decide>,
) -> Result<ApiJson<DecisionResult>, ApiError> {
    let result = state
        .sessions
        .decide(&item.id, &body.option_id, Some(caller.name()))
        .await?;
    Ok(ApiJson(result))
}

/// Every approval waiting for a person, across the assistants the caller
/// may see, oldest first.
#[utoipa::path(get, path = "/api/approvals", responses((status = 200, body = Vec<PendingApproval>)))]
pub async fn pending(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<PendingApproval>>, ApiError> {
    Ok(ApiJson(
        state.store.pending_approvals(caller.scope()).await?,
    ))
}
