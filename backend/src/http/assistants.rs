//! `/api/assistants`: who does the work.

use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use std::path::Path;
use tandem_shared::api::{AgentSpec, Assistant, CreateAssistant};
use tandem_shared::AssistantId;

const DEFAULT_COLOR: &str = "#5b6ee1";

#[utoipa::path(get, path = "/api/assistants", responses((status = 200, body = Vec<Assistant>)))]
pub async fn list(State(state): State<AppState>) -> Result<ApiJson<Vec<Assistant>>, ApiError> {
    Ok(ApiJson(state.store.list_assistants().await?))
}

#[utoipa::path(get, path = "/api/assistants/{id}",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Assistant), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Assistant>, ApiError> {
    state
        .store
        .get_assistant(&AssistantId(id))
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::NotFound("no assistant with that id".into()))
}

#[utoipa::path(post, path = "/api/assistants", request_body = CreateAssistant,
    responses((status = 201, body = Assistant), (status = 400, body = tandem_shared::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateAssistant>,
) -> Result<(StatusCode, ApiJson<Assistant>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::BadRequest(
            "name: must be 1 to 80 characters".into(),
        ));
    }
    let color = body.color.unwrap_or_else(|| DEFAULT_COLOR.to_owned());
    if !is_hex_color(&color) {
        return Err(ApiError::BadRequest("color: must look like #1a2b3c".into()));
    }
    let workspace = Path::new(&body.workspace);
    if !workspace.is_absolute() || !workspace.is_dir() {
        return Err(ApiError::BadRequest(format!(
            "workspace: {} is not an existing absolute directory",
            body.workspace
        )));
    }
    if let AgentSpec::Custom { command, .. } = &body.agent {
        if command.trim().is_empty() {
            return Err(ApiError::BadRequest(
                "agent.command: must not be empty".into(),
            ));
        }
    }
    let assistant = Assistant {
        id: AssistantId(state.sessions.context().ids.new_id("ast")),
        name: name.to_owned(),
        color,
        agent: body.agent,
        workspace: body.workspace,
        created_at: state.sessions.context().clock.now_ms(),
    };
    state.store.create_assistant(&assistant).await?;
    Ok((StatusCode::CREATED, ApiJson(assistant)))
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}
