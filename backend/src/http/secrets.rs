//! `/api/assistants/{id}/secrets`: an assistant's model keys and the like.
//! Members set, replace and delete them; nobody reads a value back — the
//! list holds names only, and only the assistant's agent sees values.

use super::access::Visible;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use crate::secrets::names;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{Assistant, PutSecret, SecretInfo};

#[utoipa::path(get, path = "/api/assistants/{id}/secrets",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<SecretInfo>), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<SecretInfo>>, ApiError> {
    let secrets = state.store.secrets(&item.id).await?;
    Ok(ApiJson(
        secrets
            .into_iter()
            .map(|secret| SecretInfo {
                name: secret.name,
                updated_at: secret.updated_at,
            })
            .collect(),
    ))
}

/// Sets or replaces one; the agent's next run has it in its environment.
#[utoipa::path(put, path = "/api/assistants/{id}/secrets/{name}", request_body = PutSecret,
    params(("id" = String, Path, description = "assistant id"), ("name" = String, Path, description = "an environment variable name")),
    responses((status = 204), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
    ApiPath((_id, name)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PutSecret>,
) -> Result<StatusCode, ApiError> {
    if let Some(refusal) = names::refusal(&name).or_else(|| names::value_refusal(&body.value)) {
        return Err(ApiError::BadRequest(refusal));
    }
    let sealed = state
        .sessions
        .context()
        .vault
        .seal(&format!("{}/{name}", item.id), &body.value);
    state
        .store
        .put_secret(&item.id, &name, &sealed, state.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/assistants/{id}/secrets/{name}",
    params(("id" = String, Path, description = "assistant id"), ("name" = String, Path, description = "the secret's name")),
    responses((status = 204), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
    ApiPath((_id, name)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_secret(&item.id, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no secret named {name}")))
    }
}
