//! `POST /api/agent-tools/call`: a tool call from `tandem mcp`, authorised
//! by the bearer token of one run of one assistant.

use super::auth::bearer_token;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::agent_tools::calls::{self, ToolError};
use crate::agent_tools::Grant;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use tandem_shared::api::{ErrorBody, ToolCallAnswer, ToolCallRequest};

/// The run a tool call comes from, by its token; checked before the body
/// is read, so a caller without one learns nothing but 401.
pub struct RunGrant(pub Grant);

impl FromRequestParts<AppState> for RunGrant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers)?;
        let grant = state
            .sessions
            .context()
            .tool_tokens
            .check_anywhere(token)
            .await
            .ok_or_else(|| {
                ApiError::Unauthorized("the token is unknown or its run has ended".into())
            })?;
        Ok(RunGrant(grant))
    }
}

#[utoipa::path(post, path = "/api/agent-tools/call", request_body = ToolCallRequest,
    responses((status = 200, body = ToolCallAnswer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    RunGrant(grant): RunGrant,
    ApiJson(request): ApiJson<ToolCallRequest>,
) -> Result<ApiJson<ToolCallAnswer>, ApiError> {
    let ctx = state.sessions.context();
    let text = calls::call(ctx, &state.wakes, &grant, request)
        .await
        .map_err(|error| match error {
            ToolError::Invalid(message) => ApiError::BadRequest(message),
            ToolError::Forbidden(message) => ApiError::Forbidden(message),
            ToolError::NotFound(message) => ApiError::NotFound(message),
            ToolError::Store(error) => error.into(),
            ToolError::Wake(error) => error.into(),
        })?;
    Ok(ApiJson(ToolCallAnswer { text }))
}
