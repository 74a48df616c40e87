//! `/api/workspaces`: the directory picker behind "New assistant" — list a
//! directory's subdirectories, make a new one. Every account stays below
//! the workspace root; admins may look anywhere but Tandem's data.

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{NewWorkspace, WorkspaceListing};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// An absolute directory (default: the workspace root).
    path: Option<String>,
}

/// A directory's subdirectories, and whether the caller may work there.
#[utoipa::path(get, path = "/api/workspaces", params(ListQuery),
    responses((status = 200, body = WorkspaceListing), (status = 400, body = tandem_shared::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<WorkspaceListing>, ApiError> {
    on_disk(&state, &caller, move |places, admin| {
        crate::workspaces::list(places, query.path.as_deref(), admin)
    })
    .await
    .map(ApiJson)
}

/// Makes a directory for a workspace and lists it.
#[utoipa::path(post, path = "/api/workspaces", request_body = NewWorkspace,
    responses((status = 201, body = WorkspaceListing), (status = 400, body = tandem_shared::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWorkspace>,
) -> Result<(StatusCode, ApiJson<WorkspaceListing>), ApiError> {
    on_disk(&state, &caller, move |places, admin| {
        crate::workspaces::create(places, &body.parent, &body.name, admin)
    })
    .await
    .map(|listing| (StatusCode::CREATED, ApiJson(listing)))
}

/// Runs a picker's file-system work off the async threads, for the caller
/// (an admin or not).
async fn on_disk(
    state: &AppState,
    caller: &Caller,
    work: impl FnOnce(
            &crate::workspaces::Places,
            bool,
        ) -> Result<WorkspaceListing, crate::workspaces::WorkspaceRefusal>
        + Send
        + 'static,
) -> Result<WorkspaceListing, ApiError> {
    let places = state.sessions.context().places.clone();
    let admin = caller.user.admin;
    tokio::task::spawn_blocking(move || work(&places, admin))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(ApiError::from)
}
