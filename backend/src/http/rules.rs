//! Approval rules: Tandem-wide and per assistant.

use super::access::{self, Visible};
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{ApprovalRule, Assistant, CreateRule, ErrorBody};
use tandem_shared::AssistantId;

pub(crate) const MAX_PREFIX: usize = 2_000;

#[utoipa::path(get, path = "/api/rules", responses((status = 200, body = Vec<ApprovalRule>)))]
pub async fn list_tandem(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<ApiJson<Vec<ApprovalRule>>, ApiError> {
    Ok(ApiJson(state.store.rules(None).await?))
}

#[utoipa::path(post, path = "/api/rules", request_body = CreateRule,
    responses((status = 201, body = ApprovalRule), (status = 400, body = ErrorBody)))]
pub async fn create_tandem(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRule>,
) -> Result<(StatusCode, ApiJson<ApprovalRule>), ApiError> {
    caller.require_admin("set Tandem-wide rules")?;
    create(&state, None, body).await
}

#[utoipa::path(get, path = "/api/assistants/{id}/rules",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<ApprovalRule>), (status = 404, body = ErrorBody)))]
pub async fn list_assistant(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<ApprovalRule>>, ApiError> {
    Ok(ApiJson(state.store.rules(Some(&item.id)).await?))
}

#[utoipa::path(post, path = "/api/assistants/{id}/rules", request_body = CreateRule,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 201, body = ApprovalRule), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_assistant(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
    ApiJson(body): ApiJson<CreateRule>,
) -> Result<(StatusCode, ApiJson<ApprovalRule>), ApiError> {
    create(&state, Some(item.id), body).await
}

#[utoipa::path(delete, path = "/api/rules/{id}",
    params(("id" = String, Path, description = "rule id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    // A rule of an assistant is its members' to remove; a Tandem-wide one
    // an admin's.
    let Some(rule) = state.store.get_rule(&id).await? else {
        return Err(ApiError::NotFound("no rule with that id".into()));
    };
    match &rule.assistant_id {
        Some(assistant) => {
            access::assistant(&state, &caller, assistant)
                .await
                .map_err(|_| ApiError::NotFound("no rule with that id".into()))?;
        }
        None => caller.require_admin("remove Tandem-wide rules")?,
    }
    if !state.store.delete_rule(&id).await? {
        return Err(ApiError::NotFound("no rule with that id".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn create(
    state: &AppState,
    assistant_id: Option<AssistantId>,
    body: CreateRule,
) -> Result<(StatusCode, ApiJson<ApprovalRule>), ApiError> {
    if body.prefix.chars().count() > MAX_PREFIX {
        return Err(ApiError::BadRequest(format!(
            "prefix: at most {MAX_PREFIX} characters"
        )));
    }
    if body.kind.is_none()
        && body.prefix.trim().is_empty()
        && body.action == tandem_shared::api::RuleAction::Allow
    {
        // Well-formed, but a rule Tandem does not let anyone make.
        return Err(ApiError::Forbidden(
            "prefix: a rule that allows every tool call needs a kind or a prefix".into(),
        ));
    }
    let ctx = state.sessions.context();
    let rule = ApprovalRule {
        id: ctx.ids.new_id("rul"),
        assistant_id,
        kind: body.kind,
        prefix: body.prefix.trim().to_owned(),
        action: body.action,
        created_at: ctx.clock.now_ms(),
    };
    state.store.add_rule(&rule).await?;
    Ok((StatusCode::CREATED, ApiJson(rule)))
}
