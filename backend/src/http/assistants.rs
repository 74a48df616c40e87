//! `/api/assistants`: who does the work — identity, memory, journal — and
//! the organisation-wide constitution.

use super::access::Visible;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiQuery};
use super::AppState;
use crate::session::continuity::ORG_CONSTITUTION;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_shared::api::{
    AgentSpec, Assistant, Constitution, CreateAssistant, ErrorBody, JournalEntry, NewJournalEntry,
    UpdateAssistant,
};
use tandem_shared::AssistantId;

const DEFAULT_COLOR: &str = "#5b6ee1";
/// Upper bounds that keep one assistant's texts reasonable.
/// Longest assistant name.
pub(crate) const MAX_NAME: usize = 80;
pub(crate) const MAX_PERSONA: usize = 20_000;
pub(crate) const MAX_CONSTITUTION: usize = 50_000;
pub(crate) const MAX_MEMORY: usize = 200_000;
pub(crate) const MAX_JOURNAL_ENTRY: usize = 20_000;

#[utoipa::path(get, path = "/api/assistants", params(ListQuery), responses((status = 200, body = Vec<Assistant>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<Vec<Assistant>>, ApiError> {
    let all = state.store.list_assistants(caller.scope()).await?;
    let include_archived = query.archived.unwrap_or(false);
    Ok(ApiJson(
        all.into_iter()
            .filter(|a| include_archived || a.archived_at.is_none())
            .collect(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include archived assistants.
    archived: Option<bool>,
}

#[utoipa::path(get, path = "/api/assistants/{id}",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Assistant), (status = 404, body = ErrorBody)))]
pub async fn get(Visible { item, .. }: Visible<Assistant>) -> Result<ApiJson<Assistant>, ApiError> {
    Ok(ApiJson(item))
}

#[utoipa::path(post, path = "/api/assistants", request_body = CreateAssistant,
    responses((status = 201, body = Assistant), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateAssistant>,
) -> Result<(StatusCode, ApiJson<Assistant>), ApiError> {
    require_right_to_run_commands(&caller, &body.agent)?;
    let color = body.color.unwrap_or_else(|| DEFAULT_COLOR.to_owned());
    let assistant = Assistant {
        id: AssistantId(state.sessions.context().ids.new_id("ast")),
        name: body.name.trim().to_owned(),
        color,
        agent: body.agent,
        workspace: body.workspace,
        persona: body.persona,
        constitution: body.constitution,
        memory: body.memory,
        created_at: state.sessions.context().clock.now_ms(),
        archived_at: None,
        sessions: body.sessions.unwrap_or_default(),
    };
    let mut assistant = assistant;
    validate(&assistant)?;
    settle_agent_and_workspace(&state, &caller, &mut assistant)?;
    state.store.create_assistant(&assistant).await?;
    crate::session::rules::add_defaults(state.sessions.context(), &assistant).await?;
    // Whoever makes an assistant is its first member.
    state
        .store
        .add_member(&assistant.id, &caller.user.id, assistant.created_at)
        .await?;
    state.hub.access_changed();
    Ok((StatusCode::CREATED, ApiJson(assistant)))
}

/// Changes name, colour, persona, constitution, memory, agent or
/// workspace. A new persona, constitution, agent or workspace makes the
/// assistant's next run start cold.
#[utoipa::path(patch, path = "/api/assistants/{id}", request_body = UpdateAssistant,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Assistant), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Visible {
        item: mut assistant,
        caller,
    }: Visible<Assistant>,
    ApiJson(body): ApiJson<UpdateAssistant>,
) -> Result<ApiJson<Assistant>, ApiError> {
    let moved = body.agent.is_some() || body.workspace.is_some();
    let old_workspace = assistant.workspace.clone();
    if let Some(agent) = body.agent {
        if agent != assistant.agent {
            require_right_to_run_commands(&caller, &agent)?;
        }
        assistant.agent = agent;
    }
    if let Some(workspace) = body.workspace {
        assistant.workspace = workspace;
    }
    if let Some(name) = body.name {
        assistant.name = name.trim().to_owned();
    }
    if let Some(color) = body.color {
        assistant.color = color;
    }
    if let Some(persona) = body.persona {
        assistant.persona = persona;
    }
    if let Some(constitution) = body.constitution {
        assistant.constitution = constitution;
    }
    if let Some(memory) = body.memory {
        assistant.memory = memory;
    }
    if let Some(sessions) = body.sessions {
        assistant.sessions = sessions;
    }
    match (body.archived, assistant.archived_at) {
        (Some(true), None) => assistant.archived_at = Some(state.sessions.context().clock.now_ms()),
        (Some(false), Some(_)) => assistant.archived_at = None,
        _ => {}
    }
    // Everything is checked before anything is written: nothing half-saved.
    validate(&assistant)?;
    if moved {
        settle_agent_and_workspace(&state, &caller, &mut assistant)?;
    }
    state.store.update_assistant(&assistant).await?;
    if assistant.workspace != old_workspace {
        crate::session::rules::follow_workspace(
            state.sessions.context(),
            &assistant.id,
            &old_workspace,
            &assistant.workspace,
        )
        .await?;
    }
    Ok(ApiJson(assistant))
}

#[utoipa::path(get, path = "/api/assistants/{id}/journal",
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 200, body = Vec<JournalEntry>), (status = 404, body = ErrorBody)))]
pub async fn journal(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
) -> Result<ApiJson<Vec<JournalEntry>>, ApiError> {
    Ok(ApiJson(
        state.store.recent_journal(&assistant.id, 200).await?,
    ))
}

#[utoipa::path(post, path = "/api/assistants/{id}/journal", request_body = NewJournalEntry,
    params(("id" = String, Path, description = "assistant id")),
    responses((status = 201, body = JournalEntry), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_journal_entry(
    State(state): State<AppState>,
    Visible {
        item: assistant, ..
    }: Visible<Assistant>,
    ApiJson(body): ApiJson<NewJournalEntry>,
) -> Result<(StatusCode, ApiJson<JournalEntry>), ApiError> {
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_JOURNAL_ENTRY {
        return Err(ApiError::BadRequest(format!(
            "text: must be 1 to {MAX_JOURNAL_ENTRY} characters"
        )));
    }
    let ctx = state.sessions.context();
    let entry = JournalEntry {
        id: ctx.ids.new_id("jnl"),
        at: ctx.clock.now_ms(),
        text: text.to_owned(),
    };
    state.store.add_journal_entry(&assistant.id, &entry).await?;
    Ok((StatusCode::CREATED, ApiJson(entry)))
}

#[utoipa::path(get, path = "/api/settings/constitution",
    responses((status = 200, body = Constitution)))]
pub async fn org_constitution(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<ApiJson<Constitution>, ApiError> {
    let text = state
        .store
        .setting(ORG_CONSTITUTION)
        .await?
        .unwrap_or_default();
    Ok(ApiJson(Constitution { text }))
}

/// The organisation-wide constitution, joined before every assistant's own.
#[utoipa::path(put, path = "/api/settings/constitution", request_body = Constitution,
    responses((status = 200, body = Constitution), (status = 400, body = ErrorBody)))]
pub async fn set_org_constitution(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Constitution>,
) -> Result<ApiJson<Constitution>, ApiError> {
    caller.require_admin("change the organisation's constitution")?;
    if body.text.chars().count() > MAX_CONSTITUTION {
        return Err(ApiError::BadRequest(format!(
            "text: at most {MAX_CONSTITUTION} characters"
        )));
    }
    state
        .store
        .set_setting(ORG_CONSTITUTION, &body.text)
        .await?;
    Ok(ApiJson(body))
}

fn validate(assistant: &Assistant) -> Result<(), ApiError> {
    let name_len = assistant.name.chars().count();
    if name_len == 0 || name_len > MAX_NAME {
        return Err(ApiError::BadRequest(format!(
            "name: must be 1 to {MAX_NAME} characters"
        )));
    }
    if !is_hex_color(&assistant.color) {
        return Err(ApiError::BadRequest("color: must look like #1a2b3c".into()));
    }
    if assistant.persona.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "persona: must say who the assistant is".into(),
        ));
    }
    for (field, text, max) in [
        ("persona", &assistant.persona, MAX_PERSONA),
        ("constitution", &assistant.constitution, MAX_CONSTITUTION),
        ("memory", &assistant.memory, MAX_MEMORY),
    ] {
        if text.chars().count() > max {
            return Err(ApiError::BadRequest(format!(
                "{field}: at most {max} characters"
            )));
        }
    }
    assistant.sessions.check().map_err(ApiError::BadRequest)?;
    Ok(())
}

/// Checks the agent, and that the caller may work in the workspace (below
/// the workspace root, or anywhere but Tandem's data for an admin); keeps
/// the workspace with every link resolved.
fn settle_agent_and_workspace(
    state: &AppState,
    caller: &Caller,
    assistant: &mut Assistant,
) -> Result<(), ApiError> {
    let real = state
        .sessions
        .context()
        .places
        .judge(&assistant.workspace, caller.user.admin)
        .map_err(ApiError::from)?;
    assistant.workspace = real.display().to_string();
    let workspace = real.as_path();
    let probe = workspace.join(format!(".tandem-write-check-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(_) => {
            return Err(ApiError::Forbidden(format!(
                "workspace: {} is not writable",
                assistant.workspace
            )))
        }
    }
    if let Some(refusal) = crate::agents::command_refusal(&assistant.agent) {
        return Err(ApiError::BadRequest(refusal));
    }
    Ok(())
}

/// The shell agent runs what its prompt says on this machine, and a custom
/// agent is any program here: giving an assistant either is an admin's.
fn require_right_to_run_commands(caller: &Caller, agent: &AgentSpec) -> Result<(), ApiError> {
    match agent {
        AgentSpec::Shell => caller
            .require_admin("give an assistant the shell agent (it runs commands on this machine)"),
        AgentSpec::Custom { .. } => {
            caller.require_admin("give an assistant a custom agent command")
        }
        _ => Ok(()),
    }
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}
