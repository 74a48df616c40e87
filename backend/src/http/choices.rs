//! `/api/sessions/{id}/choices`: members choose the mode and options of a
//! session's agent (model, effort, …). A choice is kept for every later run
//! of the session and, while the agent runs, asked of it at once.

use super::access::Visible;
use super::error::{ApiError, ApiJson};
use super::AppState;
use crate::store::SessionRecord;
use axum::extract::State;
use tandem_shared::agent_state::{Choice, ChoiceApplied, ConfigValue, Setting};

/// Ids and values longer than this are not an agent's.
pub(crate) const MAX_LEN: usize = 200;

/// The session's kept choices, oldest first.
#[utoipa::path(get, path = "/api/sessions/{id}/choices",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = Vec<Choice>), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<SessionRecord>,
) -> Result<ApiJson<Vec<Choice>>, ApiError> {
    Ok(ApiJson(state.store.choices(&item.summary.id).await?))
}

/// Chooses a mode (`{"setting":"mode","mode":"default"}`) or an option's
/// value (`{"setting":"option","id":"model","value":"opus"}`). Whether the
/// agent offers it is for the agent to say: a refusal is told in the
/// transcript, and a run starts only with what the agent offers.
#[utoipa::path(post, path = "/api/sessions/{id}/choices", request_body = Setting,
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = ChoiceApplied), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn choose(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<SessionRecord>,
    ApiJson(setting): ApiJson<Setting>,
) -> Result<ApiJson<ChoiceApplied>, ApiError> {
    check(&setting)?;
    let choice = Choice {
        setting,
        chosen_by: caller.name(),
        chosen_at: state.now_ms(),
    };
    Ok(ApiJson(
        state.sessions.choose(&item.summary.id, choice).await?,
    ))
}

fn check(setting: &Setting) -> Result<(), ApiError> {
    let fits = |what: &str, text: &str| {
        if text.trim().is_empty()
            || text.chars().count() > MAX_LEN
            || text.chars().any(char::is_control)
        {
            Err(ApiError::BadRequest(format!(
                "{what}: 1 to {MAX_LEN} characters, no control characters"
            )))
        } else {
            Ok(())
        }
    };
    match setting {
        Setting::Mode { mode } => fits("mode", mode),
        Setting::Option { id, value } => {
            fits("id", id)?;
            match value {
                ConfigValue::Choice(value) => fits("value", value),
                ConfigValue::Boolean(_) => Ok(()),
            }
        }
    }
}

/// The assistant's defaults for its agent, oldest first.
#[utoipa::path(get, path = "/api/assistants/{id}/choices",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Choice>), (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn list_defaults(
    State(state): State<AppState>,
    Visible { item, .. }: Visible<tandem_shared::api::Assistant>,
) -> Result<ApiJson<Vec<Choice>>, ApiError> {
    Ok(ApiJson(state.store.assistant_choices(&item.id).await?))
}

/// Sets a default mode or option value for every run of the assistant's
/// sessions (a session's own choice still wins). Answers with all of them.
#[utoipa::path(post, path = "/api/assistants/{id}/choices", request_body = Setting,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<Choice>), (status = 400, body = tandem_shared::api::ErrorBody),
        (status = 404, body = tandem_shared::api::ErrorBody)))]
pub async fn choose_default(
    State(state): State<AppState>,
    Visible { caller, item }: Visible<tandem_shared::api::Assistant>,
    ApiJson(setting): ApiJson<Setting>,
) -> Result<ApiJson<Vec<Choice>>, ApiError> {
    check(&setting)?;
    let choice = Choice {
        setting,
        chosen_by: caller.name(),
        chosen_at: state.now_ms(),
    };
    state.store.set_assistant_choice(&item.id, &choice).await?;
    Ok(ApiJson(state.store.assistant_choices(&item.id).await?))
}
