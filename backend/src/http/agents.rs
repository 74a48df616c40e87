//! What this server is, and which agents it can run.

use super::error::{ApiError, ApiJson};
use super::AppState;
use axum::extract::State;
use tandem_shared::api::{
    AgentCheck, AgentKindInfo, AgentProbe, AgentSpec, SandboxInfo, ServerInfo,
};

#[utoipa::path(get, path = "/api/health", responses((status = 200, body = ServerInfo)))]
pub async fn health(State(state): State<AppState>) -> ApiJson<ServerInfo> {
    ApiJson(ServerInfo {
        name: "tandem".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database: state.store.backend().name().into(),
    })
}

/// Whether agents on this server run sandboxed, and what that means.
#[utoipa::path(get, path = "/api/sandbox", responses((status = 200, body = SandboxInfo),
    (status = 401, body = tandem_shared::api::ErrorBody)))]
pub async fn sandbox(
    State(state): State<AppState>,
    _caller: super::auth::Caller,
) -> ApiJson<SandboxInfo> {
    let sandbox = &state.sessions.context().config.sandbox;
    ApiJson(SandboxInfo {
        enforced: sandbox.enforced(),
        required: sandbox.mode == crate::sandbox::SandboxMode::Require,
        description: sandbox.describe(),
    })
}

/// Every agent kind, and whether it is installed on this machine.
#[utoipa::path(get, path = "/api/agents", responses((status = 200, body = Vec<AgentKindInfo>)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: super::auth::Caller,
) -> Result<ApiJson<Vec<AgentKindInfo>>, ApiError> {
    let exe = state.tandem_exe.clone();
    let mut kinds = tokio::task::spawn_blocking(move || crate::agents::catalog(&exe))
        .await
        .map_err(|_| ApiError::Internal)?;
    for kind in &mut kinds {
        kind.last_check = state
            .store
            .setting(&cache_key(&kind.kind))
            .await?
            .and_then(|kept| serde_json::from_str(&kept).ok());
    }
    Ok(ApiJson(kinds))
}

/// "Check agent": starts the assistant's agent in a scratch directory, with
/// its secrets, and reports who it says it is, how it logs in, and what its
/// sessions offer — or why it could not start, in its own words.
#[utoipa::path(post, path = "/api/assistants/{id}/check",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = AgentProbe), (status = 404, body = tandem_shared::api::ErrorBody),
        (status = 429, body = tandem_shared::api::ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    super::access::Visible { item, .. }: super::access::Visible<tandem_shared::api::Assistant>,
) -> Result<ApiJson<AgentProbe>, ApiError> {
    let env = match crate::secrets::environment(state.sessions.context(), &item.id).await {
        Ok(env) => env,
        Err(error) => return Ok(ApiJson(failed(error))),
    };
    run_check(&state, &item.agent, env).await.map(ApiJson)
}

/// The same check before an assistant exists ("New assistant"): an agent
/// kind, with the secrets typed in the form (used for this check only,
/// never stored or logged).
#[utoipa::path(post, path = "/api/agents/check", request_body = AgentCheck,
    responses((status = 200, body = AgentProbe), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 403, body = tandem_shared::api::ErrorBody), (status = 429, body = tandem_shared::api::ErrorBody)))]
pub async fn check_kind(
    State(state): State<AppState>,
    caller: super::auth::Caller,
    ApiJson(body): ApiJson<AgentCheck>,
) -> Result<ApiJson<AgentProbe>, ApiError> {
    if matches!(body.agent, AgentSpec::Custom { .. }) {
        caller.require_admin("check a custom agent command")?;
    }
    if let Some(refusal) = crate::agents::command_refusal(&body.agent) {
        return Err(ApiError::BadRequest(refusal));
    }
    let mut env = Vec::new();
    for secret in body.secrets {
        let name = secret.name.trim().to_owned();
        if let Some(refusal) = crate::secrets::names::refusal(&name)
            .or_else(|| crate::secrets::names::value_refusal(&secret.value))
        {
            return Err(ApiError::BadRequest(refusal));
        }
        env.push((name, secret.value));
    }
    run_check(&state, &body.agent, env).await.map(ApiJson)
}

fn failed(error: String) -> AgentProbe {
    AgentProbe {
        error: Some(error),
        ..Default::default()
    }
}

/// Where the last good check of each kind is kept, so the next "New
/// assistant" offers its modes and models at once.
fn cache_key(kind: &str) -> String {
    format!("agent_probe.{kind}")
}

async fn run_check(
    state: &AppState,
    agent: &AgentSpec,
    env: Vec<(String, String)>,
) -> Result<AgentProbe, ApiError> {
    // Each check is a process; a few at a time is plenty.
    let Ok(_permit) = state.checks.clone().try_acquire_owned() else {
        return Err(ApiError::TooManyRequests(
            "other agent checks are running; try again in a moment".into(),
        ));
    };
    let spec = agent.clone();
    let preflight = tokio::task::spawn_blocking(move || crate::agents::preflight(&spec))
        .await
        .map_err(|_| ApiError::Internal)?;
    if let Err(problem) = preflight {
        return Ok(failed(problem));
    }
    let ctx = state.sessions.context();
    let mut launch = crate::agents::launch_for(agent, &ctx.config);
    launch.env.extend(env);
    let scratch = std::env::temp_dir().join(ctx.ids.new_id("tandem-check"));
    std::fs::create_dir_all(&scratch).map_err(|_| ApiError::Internal)?;
    let writable = std::iter::once(scratch.clone())
        .chain(launch.state.iter().cloned())
        .collect();
    // It lists a few directories: off the async threads.
    let sandbox = {
        let ctx = ctx.clone();
        tokio::task::spawn_blocking(move || {
            ctx.config.sandbox.prepare(writable, &ctx.places.data_dir)
        })
        .await
        .map_err(|_| ApiError::Internal)?
    };
    let mut found = match sandbox {
        Ok(sandbox) => {
            crate::agents::probe::probe(
                &launch,
                &scratch,
                sandbox.as_ref(),
                ctx.config.agent_start_timeout,
            )
            .await
        }
        Err(refusal) => failed(refusal),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    found.checked_at = Some(state.now_ms());
    if found.error.is_none() && !matches!(agent, AgentSpec::Custom { .. }) {
        if let Ok(kept) = serde_json::to_string(&found) {
            state
                .store
                .set_setting(&cache_key(agent.kind_name()), &kept)
                .await?;
        }
    }
    Ok(found)
}
