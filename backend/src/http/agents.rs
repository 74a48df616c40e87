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

/// "Check agent": starts the assistant's agent in a scratch directory, with
/// its secrets, and reports who it says it is, how it logs in, and what its
/// sessions offer — or why it could not start, in its own words.
#[utoipa::path(post, path = "/api/assistants/{id}/check",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = tandem_shared::api::AgentProbe), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    super::access::Visible { item, .. }: super::access::Visible<tandem_shared::api::Assistant>,
) -> Result<ApiJson<tandem_shared::api::AgentProbe>, ApiError> {
    let failed = |error: String| tandem_shared::api::AgentProbe {
        error: Some(error),
        ..Default::default()
    };
    let spec = item.agent.clone();
    let preflight = tokio::task::spawn_blocking(move || crate::agents::preflight(&spec))
        .await
        .map_err(|_| ApiError::Internal)?;
    if let Err(problem) = preflight {
        return Ok(ApiJson(failed(problem)));
    }
    let ctx = state.sessions.context();
    let mut launch = crate::agents::launch_spec(&item.agent, &state.tandem_exe);
    match crate::secrets::environment(ctx, &item.id).await {
        Ok(secrets) => launch.env.extend(secrets),
        Err(error) => return Ok(ApiJson(failed(error))),
    }
    let scratch = std::env::temp_dir().join(ctx.ids.new_id("tandem-check"));
    std::fs::create_dir_all(&scratch).map_err(|_| ApiError::Internal)?;
    let found =
        crate::agents::probe::probe(&launch, &scratch, ctx.config.agent_start_timeout).await;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(ApiJson(found))
}
