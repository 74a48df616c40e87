//! `/api/users`, `/api/tokens` and assistant members: the team and its
//! keys.

use super::access::Visible;
use super::auth::{create_user, Caller};
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{Assistant, ErrorBody};
use tandem_shared::auth::{AddMember, ApiToken, CreateToken, CreateUser, CreatedToken, User};
use tandem_shared::UserId;

/// Everyone with an account: names to add as members.
#[utoipa::path(get, path = "/api/users", responses((status = 200, body = Vec<User>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<ApiJson<Vec<User>>, ApiError> {
    Ok(ApiJson(state.store.list_users().await?))
}

#[utoipa::path(post, path = "/api/users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, ApiJson<User>), ApiError> {
    caller.require_admin("add people")?;
    let user = create_user(&state, &body.name, &body.password, body.admin, false).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// The caller's own tokens (never their secrets).
#[utoipa::path(get, path = "/api/tokens", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<ApiToken>>, ApiError> {
    Ok(ApiJson(state.store.list_api_tokens(&caller.user.id).await?))
}

#[utoipa::path(post, path = "/api/tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, ApiJson<CreatedToken>), ApiError> {
    let created = state
        .team()
        .issue_token(&caller.user.id, &body.name)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

#[utoipa::path(delete, path = "/api/tokens/{id}",
    params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .revoke_api_token(&caller.user.id, &id, state.now_ms())
        .await?
    {
        // Sockets opened with this token end with it.
        state.hub.access_changed();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("you have no token with that id".into()))
    }
}

#[utoipa::path(get, path = "/api/assistants/{id}/members",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<User>), (status = 404, body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
) -> Result<ApiJson<Vec<User>>, ApiError> {
    Ok(ApiJson(state.store.members(&assistant.id).await?))
}

/// A member (or an admin) adds a person to an assistant.
#[utoipa::path(post, path = "/api/assistants/{id}/members", request_body = AddMember,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
    ApiJson(body): ApiJson<AddMember>,
) -> Result<ApiJson<Vec<User>>, ApiError> {
    if state.store.get_user(&body.user_id).await?.is_none() {
        return Err(ApiError::NotFound("user_id: nobody has that id".into()));
    }
    state
        .store
        .add_member(&assistant.id, &body.user_id, state.now_ms())
        .await?;
    state.hub.access_changed();
    Ok(ApiJson(state.store.members(&assistant.id).await?))
}

#[utoipa::path(delete, path = "/api/assistants/{id}/members/{user_id}",
    params(("id" = String, Path, description = "assistant id"), ("user_id" = String, Path, description = "user id")),
    responses((status = 200, body = Vec<User>), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
    ApiPath((_id, user_id)): ApiPath<(String, String)>,
) -> Result<ApiJson<Vec<User>>, ApiError> {
    if !state
        .store
        .remove_member(&assistant.id, &UserId(user_id))
        .await?
    {
        return Err(ApiError::NotFound("that person is not a member".into()));
    }
    state.hub.access_changed();
    Ok(ApiJson(state.store.members(&assistant.id).await?))
}
