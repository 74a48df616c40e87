//! What this server is, and which agents it can run.

use super::error::{ApiError, ApiJson};
use super::AppState;
use axum::extract::State;
use tandem_shared::api::{AgentKindInfo, ServerInfo};

#[utoipa::path(get, path = "/api/health", responses((status = 200, body = ServerInfo)))]
pub async fn health(State(state): State<AppState>) -> ApiJson<ServerInfo> {
    ApiJson(ServerInfo {
        name: "tandem".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database: state.store.backend().name().into(),
    })
}

/// Every agent kind, and whether it is installed on this machine.
#[utoipa::path(get, path = "/api/agents", responses((status = 200, body = Vec<AgentKindInfo>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: super::auth::Caller,
) -> Result<ApiJson<Vec<AgentKindInfo>>, ApiError> {
    let exe = state.tandem_exe.clone();
    let kinds = tokio::task::spawn_blocking(move || crate::agents::catalog(&exe))
        .await
        .map_err(|_| ApiError::Internal)?;
    Ok(ApiJson(kinds))
}
