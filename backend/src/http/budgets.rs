//! `/api/budgets` and `/api/assistants/{id}/budget`: monthly budgets,
//! Tandem-wide and per assistant. Everyone sees the budgets of what they
//! see; only an admin sets or removes one. Raising a budget resumes the
//! sessions it had paused, once they are under every budget again.

use super::access::{self, Visible};
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::store::{BudgetRow, TEAM_SCOPE};
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{Assistant, ErrorBody, SessionQuery};
use tandem_shared::budget::{BudgetStanding, SetBudget};
use tandem_shared::{AssistantId, SessionStatus};

/// The words a budget pause starts with (`BudgetStanding::words`).
const BUDGET_PAUSE: &str = "budget reached";

/// Every budget the caller may see, with this month's standing.
#[utoipa::path(get, path = "/api/budgets",
    responses((status = 200, body = Vec<BudgetStanding>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<BudgetStanding>>, ApiError> {
    let visible = state
        .store
        .list_assistants(caller.scope())
        .await?
        .into_iter()
        .map(|a| (a.id.0, a.name))
        .collect::<std::collections::HashMap<_, _>>();
    let standings =
        crate::budgets::all_standings(&state.store, state.now_ms(), |id| visible.get(id).cloned())
            .await?;
    Ok(ApiJson(standings))
}

/// The budgets one assistant is held to (Tandem's and its own).
#[utoipa::path(get, path = "/api/assistants/{id}/budget",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<BudgetStanding>), (status = 404, body = ErrorBody)))]
pub async fn of_assistant(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<Assistant>,
) -> Result<ApiJson<Vec<BudgetStanding>>, ApiError> {
    Ok(ApiJson(
        crate::budgets::standings_for(&state.store, &item.id, &item.name, state.now_ms()).await?,
    ))
}

#[utoipa::path(put, path = "/api/budgets/team", request_body = SetBudget,
    responses((status = 200, body = Vec<BudgetStanding>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SetBudget>,
) -> Result<ApiJson<Vec<BudgetStanding>>, ApiError> {
    set(&state, &caller, TEAM_SCOPE, body).await?;
    list(State(state), caller).await
}

#[utoipa::path(delete, path = "/api/budgets/team",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_team(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    remove(&state, &caller, TEAM_SCOPE).await
}

#[utoipa::path(put, path = "/api/assistants/{id}/budget", request_body = SetBudget,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<BudgetStanding>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_assistant(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<Assistant>,
    ApiJson(body): ApiJson<SetBudget>,
) -> Result<ApiJson<Vec<BudgetStanding>>, ApiError> {
    set(&state, &caller, item.id.as_str(), body).await?;
    of_assistant(State(state), Visible { caller, item }).await
}

#[utoipa::path(delete, path = "/api/assistants/{id}/budget",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_assistant(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<Assistant>,
) -> Result<StatusCode, ApiError> {
    remove(&state, &caller, item.id.as_str()).await
}

async fn set(
    state: &AppState,
    caller: &Caller,
    scope: &str,
    body: SetBudget,
) -> Result<(), ApiError> {
    caller.require_admin("set a budget")?;
    body.check().map_err(ApiError::BadRequest)?;
    let row = BudgetRow {
        scope: scope.to_owned(),
        monthly_micros: body.monthly_micros,
        warn_percent: body.warn_percent,
    };
    state
        .store
        .set_budget(&row, &caller.name(), state.now_ms())
        .await?;
    resume_paused_under_budget(state, caller).await
}

async fn remove(state: &AppState, caller: &Caller, scope: &str) -> Result<StatusCode, ApiError> {
    caller.require_admin("remove a budget")?;
    if !state.store.remove_budget(scope).await? {
        return Err(ApiError::NotFound("no budget is set there".into()));
    }
    resume_paused_under_budget(state, caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resumes the sessions a budget paused whose assistant is under every
/// budget now.
async fn resume_paused_under_budget(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let paused = state
        .store
        .list_sessions(
            crate::store::Scope::All,
            &SessionQuery {
                status: Some(SessionStatus::Paused),
                ..SessionQuery::default()
            },
            500,
        )
        .await?;
    let mut under: std::collections::HashMap<AssistantId, bool> = Default::default();
    for session in paused {
        let by_budget = session
            .status_reason
            .as_deref()
            .is_some_and(|reason| reason.starts_with(BUDGET_PAUSE));
        if !by_budget {
            continue;
        }
        let assistant = access::assistant(state, caller, &session.assistant_id).await?;
        let free = match under.get(&assistant.id) {
            Some(free) => *free,
            None => {
                let reached = crate::budgets::reached(
                    &state.store,
                    &assistant.id,
                    &assistant.name,
                    state.now_ms(),
                )
                .await?;
                under.insert(assistant.id.clone(), reached.is_none());
                reached.is_none()
            }
        };
        if free {
            let by = format!("{} (budget raised)", caller.name());
            if let Err(error) = state.sessions.unpause(&session.id, Some(by), false).await {
                tracing::warn!(%error, session = %session.id, "could not resume after a budget change");
            }
        }
    }
    Ok(())
}
