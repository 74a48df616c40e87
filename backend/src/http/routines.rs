//! Routines of an assistant: create, list, change, delete.

use super::access::Visible;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::routines::Schedule;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{Assistant, CreateRoutine, ErrorBody, Routine, UpdateRoutine};

pub(crate) const MAX_PROMPT: usize = 20_000;

/// Validates the routine and fills in its description and next run.
fn schedule(state: &AppState, routine: &mut Routine) -> Result<(), ApiError> {
    if routine.prompt.trim().is_empty() || routine.prompt.chars().count() > MAX_PROMPT {
        return Err(ApiError::BadRequest(format!(
            "prompt: must be 1 to {MAX_PROMPT} characters"
        )));
    }
    let schedule = Schedule::parse(&routine.cron, &routine.time_zone)
        .map_err(|err| ApiError::BadRequest(err.to_string()))?;
    routine.description = schedule.describe();
    let now = state.sessions.context().clock.now_ms();
    routine.next_run_at = if routine.enabled {
        schedule.next_after(now)
    } else {
        None
    };
    Ok(())
}

fn described(mut routine: Routine) -> Routine {
    if let Ok(schedule) = Schedule::parse(&routine.cron, &routine.time_zone) {
        routine.description = schedule.describe();
    }
    routine
}

#[utoipa::path(get, path = "/api/assistants/{id}/routines",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Routine>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<Routine>>, ApiError> {
    let routines = state.store.list_routines(&item.id).await?;
    Ok(ApiJson(routines.into_iter().map(described).collect()))
}

#[utoipa::path(post, path = "/api/assistants/{id}/routines", request_body = CreateRoutine,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 201, body = Routine), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Visible { item, caller }: Visible<Assistant>,
    ApiJson(body): ApiJson<CreateRoutine>,
) -> Result<(StatusCode, ApiJson<Routine>), ApiError> {
    if let Some(check) = &body.precheck {
        allowed_precheck(&caller, check)?;
    }
    let id = item.id;
    let ctx = state.sessions.context();
    let mut routine = Routine {
        id: ctx.ids.new_id("rtn"),
        assistant_id: id,
        cron: body.cron.trim().to_owned(),
        time_zone: body.time_zone.trim().to_owned(),
        prompt: body.prompt,
        enabled: true,
        description: String::new(),
        next_run_at: None,
        last_run_at: None,
        created_at: ctx.clock.now_ms(),
        precheck: body.precheck,
    };
    schedule(&state, &mut routine)?;
    state.store.save_routine(&routine).await?;
    state.routines_changed();
    Ok((StatusCode::CREATED, ApiJson(routine)))
}

#[utoipa::path(patch, path = "/api/routines/{id}", request_body = UpdateRoutine,
    params(("id" = String, Path, description = "routine id")),
    responses((status = 200, body = Routine), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Visible {
        item: mut routine,
        caller,
    }: Visible<Routine>,
    ApiJson(body): ApiJson<UpdateRoutine>,
) -> Result<ApiJson<Routine>, ApiError> {
    if let Some(check) = &body.precheck {
        allowed_precheck(&caller, check)?;
        routine.precheck = Some(check.clone());
    }
    if body.remove_precheck {
        caller.require_admin("remove a pre-check")?;
        routine.precheck = None;
    }
    if let Some(cron) = body.cron {
        routine.cron = cron.trim().to_owned();
    }
    if let Some(zone) = body.time_zone {
        routine.time_zone = zone.trim().to_owned();
    }
    if let Some(prompt) = body.prompt {
        routine.prompt = prompt;
    }
    if let Some(enabled) = body.enabled {
        routine.enabled = enabled;
    }
    schedule(&state, &mut routine)?;
    state.store.save_routine(&routine).await?;
    state.routines_changed();
    Ok(ApiJson(routine))
}

/// A pre-check runs a command on this server with nobody approving it:
/// only an admin sets one, and it must be a sensible command.
pub(crate) fn allowed_precheck(
    caller: &super::auth::Caller,
    check: &tandem_shared::api::PreCheck,
) -> Result<(), ApiError> {
    caller.require_admin("set a pre-check")?;
    check.check().map_err(ApiError::BadRequest)
}

#[utoipa::path(delete, path = "/api/routines/{id}",
    params(("id" = String, Path, description = "routine id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Routine>,
) -> Result<StatusCode, ApiError> {
    if !state.store.delete_routine(&item.id).await? {
        return Err(ApiError::NotFound("no routine with that id".into()));
    }
    state.routines_changed();
    Ok(StatusCode::NO_CONTENT)
}
