//! `/api/tasks`: work with a status and an assignee. Assigning wakes the
//! assistant with the task; its sessions are linked and move it on.

use super::access::{self, Guarded, Visible};
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::wakes::WakeRequest;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{CreateTask, ErrorBody, Task, TaskStatus, UpdateTask, WakeTrigger};

pub(crate) const MAX_TITLE: usize = 200;
pub(crate) const MAX_BODY: usize = 50_000;

/// The team's board: unassigned tasks, and those of assistants the caller
/// may see.
#[utoipa::path(get, path = "/api/tasks", responses((status = 200, body = Vec<Task>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<Task>>, ApiError> {
    Ok(ApiJson(state.store.list_tasks(caller.scope()).await?))
}

#[utoipa::path(get, path = "/api/tasks/{id}",
    params(("id" = String, Path, description = "task id")),
    responses((status = 200, body = Task), (status = 404, body = ErrorBody)))]
pub async fn get(Visible { item, .. }: Visible<Task>) -> Result<ApiJson<Task>, ApiError> {
    Ok(ApiJson(item))
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<Task, ApiError> {
    <Task as Guarded>::find(state, caller, id.to_owned()).await
}

#[utoipa::path(post, path = "/api/tasks", request_body = CreateTask,
    responses((status = 201, body = Task), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<(StatusCode, ApiJson<Task>), ApiError> {
    let now = state.sessions.context().clock.now_ms();
    let task = Task {
        id: state.sessions.context().ids.new_id("tsk"),
        title: body.title.trim().to_owned(),
        body: body.body,
        status: TaskStatus::Todo,
        assignee_id: body.assignee_id,
        parent_id: None,
        private_to: None,
        session_ids: vec![],
        created_at: now,
        updated_at: now,
    };
    validate(&state, &caller, &task).await?;
    state.store.create_task(&task).await?;
    if task.assignee_id.is_some() {
        wake_assignee(&state, &caller, &task).await?;
    }
    Ok((
        StatusCode::CREATED,
        ApiJson(find(&state, &caller, &task.id).await?),
    ))
}

#[utoipa::path(patch, path = "/api/tasks/{id}", request_body = UpdateTask,
    params(("id" = String, Path, description = "task id")),
    responses((status = 200, body = Task), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Visible {
        caller,
        item: mut task,
    }: Visible<Task>,
    ApiJson(body): ApiJson<UpdateTask>,
) -> Result<ApiJson<Task>, ApiError> {
    let reassigned = body.assignee_id.is_some() && body.assignee_id != task.assignee_id;
    if let Some(title) = body.title {
        task.title = title.trim().to_owned();
    }
    if let Some(text) = body.body {
        task.body = text;
    }
    if let Some(status) = body.status {
        task.status = status;
    }
    if let Some(assignee) = body.assignee_id {
        task.assignee_id = Some(assignee);
    }
    task.updated_at = state.sessions.context().clock.now_ms();
    validate(&state, &caller, &task).await?;
    state.store.update_task(&task).await?;
    if reassigned {
        wake_assignee(&state, &caller, &task).await?;
    }
    Ok(ApiJson(find(&state, &caller, &task.id).await?))
}

async fn validate(state: &AppState, caller: &Caller, task: &Task) -> Result<(), ApiError> {
    let len = task.title.chars().count();
    if len == 0 || len > MAX_TITLE {
        return Err(ApiError::BadRequest(format!(
            "title: must be 1 to {MAX_TITLE} characters"
        )));
    }
    if task.body.chars().count() > MAX_BODY {
        return Err(ApiError::BadRequest(format!(
            "body: at most {MAX_BODY} characters"
        )));
    }
    if let Some(assignee) = &task.assignee_id {
        let visible = access::assistant(state, caller, assignee).await.ok();
        match visible {
            None => {
                return Err(ApiError::NotFound(
                    "assignee_id: no assistant with that id".into(),
                ))
            }
            // Checked before anything is written: nothing half-saved.
            Some(a) if a.archived_at.is_some() => {
                return Err(ApiError::Conflict(
                    "assignee_id: that assistant is archived".into(),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn wake_assignee(state: &AppState, caller: &Caller, task: &Task) -> Result<(), ApiError> {
    let Some(assignee) = &task.assignee_id else {
        return Ok(());
    };
    let message = if task.body.trim().is_empty() {
        task.title.clone()
    } else {
        format!("{}\n\n{}", task.title, task.body.trim())
    };
    state
        .wakes
        .wake(WakeRequest {
            assistant_id: assignee.clone(),
            trigger: WakeTrigger::Task,
            source: caller.name(),
            message,
            task_id: Some(task.id.clone()),
            title: Some(task.title.clone()),
            skipped: None,
        })
        .await?;
    Ok(())
}
