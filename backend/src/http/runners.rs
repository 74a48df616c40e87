//! `/api/runners`: machines that run agents for this hub (admins), and
//! which one an assistant's sessions run on.

use super::access::Visible;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath};
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{Assistant, ErrorBody};
use tandem_shared::runner::{CreateRunner, CreatedRunner, Runner, RunsOn};

/// Longest runner name.
pub const MAX_RUNNER_NAME: usize = 64;

/// Every runner (revoked ones too, marked), with whether it is linked now
/// and how many sessions run on it.
#[utoipa::path(get, path = "/api/runners",
    responses((status = 200, body = Vec<Runner>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<Runner>>, ApiError> {
    caller.require_admin("see the runners")?;
    let cluster = state.sessions.context().cluster.clone();
    let alive: std::collections::HashSet<String> = state
        .store
        .nodes()
        .await?
        .into_iter()
        .filter(|node| node.id == cluster.node_id || node.seen_at > cluster.fresh_after())
        .map(|node| node.id)
        .collect();
    // Counted from the runs' records: the sessions a runner runs for any
    // server, not only for the one asked.
    let counts = state.store.runner_live_sessions().await?;
    let records = state.store.list_runners().await?;
    Ok(ApiJson(
        records
            .into_iter()
            .map(|record| {
                let mut runner = record.runner;
                runner.connected = record.node_id.as_ref().is_some_and(|n| alive.contains(n))
                    && runner.revoked_at.is_none();
                runner.live_sessions = counts.get(&runner.id).copied().unwrap_or(0);
                runner
            })
            .collect(),
    ))
}

/// A new runner and its token (shown once): `tandem runner --hub <this
/// address> --token <token>` on the machine where the code is.
#[utoipa::path(post, path = "/api/runners", request_body = CreateRunner,
    responses((status = 201, body = CreatedRunner), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRunner>,
) -> Result<(StatusCode, ApiJson<CreatedRunner>), ApiError> {
    caller.require_admin("add runners")?;
    let name = body.name.trim();
    let fine = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if name.is_empty() || name.len() > MAX_RUNNER_NAME || !name.chars().all(fine) {
        return Err(ApiError::BadRequest(format!(
            "name: use 1–{MAX_RUNNER_NAME} letters, digits, `-`, `_` or `.`"
        )));
    }
    if state.store.runner_name_taken(name).await? {
        return Err(ApiError::Conflict(format!(
            "a runner named `{name}` exists"
        )));
    }
    let ctx = state.sessions.context();
    let id = ctx.ids.new_id("run");
    let token = crate::accounts::secret::new_secret("trn_");
    state
        .store
        .create_runner(
            &id,
            name,
            &crate::accounts::secret::digest(&token),
            caller.user.id.as_str(),
            state.now_ms(),
        )
        .await?;
    let record = state
        .store
        .get_runner(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound("the runner just made is gone".into()))?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CreatedRunner {
            runner: record.runner,
            token,
        }),
    ))
}

/// Revokes a runner at once: its link closes, its token opens nothing, and
/// the sessions it ran end as interrupted.
#[utoipa::path(delete, path = "/api/runners/{id}",
    params(("id" = String, Path, description = "runner id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin("revoke runners")?;
    if !state.store.revoke_runner(&id, state.now_ms()).await? {
        return Err(ApiError::NotFound("no live runner with that id".into()));
    }
    let ctx = state.sessions.context();
    ctx.runners.revoke(&id);
    ctx.cluster
        .signal(crate::cluster::Signal::RunnerRevoked { id: id.clone() });
    Ok(StatusCode::NO_CONTENT)
}

/// Where the assistant's sessions run (its members may see it).
#[utoipa::path(get, path = "/api/assistants/{id}/runner",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = RunsOn), (status = 404, body = ErrorBody)))]
pub async fn assistant_runner(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<RunsOn>, ApiError> {
    Ok(ApiJson(RunsOn {
        runner_id: state.store.assistant_runner(&item.id).await?,
    }))
}

/// Where the assistant's sessions run from now on: a runner, or this
/// server (`null`). Admins only: it moves where its agents run.
#[utoipa::path(put, path = "/api/assistants/{id}/runner", request_body = RunsOn,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn set_assistant_runner(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<Assistant>,
    ApiJson(body): ApiJson<RunsOn>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin("choose where an assistant runs")?;
    if let Some(runner_id) = &body.runner_id {
        let known = state.store.get_runner(runner_id).await?;
        if known.is_none_or(|r| r.runner.revoked_at.is_some()) {
            return Err(ApiError::BadRequest(format!(
                "runner_id: no live runner `{runner_id}`"
            )));
        }
    }
    state
        .store
        .set_assistant_runner(&item.id, body.runner_id.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
