//! `POST /api/agent-tools/call`: a tool call from `tandem mcp`, authorised
//! by the bearer token of one run of one assistant.

use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::agent_tools::calls::{self, ToolError};
use axum::extract::State;
use axum::http::HeaderMap;
use tandem_shared::api::{ErrorBody, ToolCallAnswer, ToolCallRequest};

#[utoipa::path(post, path = "/api/agent-tools/call", request_body = ToolCallRequest,
    responses((status = 200, body = ToolCallAnswer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ToolCallRequest>,
) -> Result<ApiJson<ToolCallAnswer>, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    let ctx = state.sessions.context();
    let grant = ctx.tool_tokens.check(token.trim()).ok_or_else(|| {
        ApiError::Unauthorized("the token is unknown or its run has ended".into())
    })?;
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
