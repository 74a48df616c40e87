//! Who may see what: an assistant's members (and admins) see its sessions,
//! chat, approvals and settings. Anything else answers 404, exactly as if
//! it did not exist.
//!
//! Handlers take `Visible<SessionRecord>` or `Visible<Assistant>` for the
//! object their route's `{id}` names: the extractor authenticates, loads
//! and checks before the handler runs, so no handler can forget. Listings
//! filter in SQL through the caller's `Scope`.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::store::{ApprovalRecord, SessionRecord};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use std::future::Future;
use tandem_shared::api::{Assistant, Routine, Task};
use tandem_shared::{ApprovalId, AssistantId, SessionId};

pub async fn can_see(
    state: &AppState,
    caller: &Caller,
    assistant: &AssistantId,
) -> Result<bool, ApiError> {
    Ok(caller.user.admin || state.store.is_member(assistant, &caller.user.id).await?)
}

/// The assistant, when the caller may see it.
pub async fn assistant(
    state: &AppState,
    caller: &Caller,
    id: &AssistantId,
) -> Result<Assistant, ApiError> {
    let not_found = || ApiError::NotFound("no assistant with that id".into());
    let assistant = state.store.get_assistant(id).await?.ok_or_else(not_found)?;
    if can_see(state, caller, id).await? {
        Ok(assistant)
    } else {
        Err(not_found())
    }
}

/// The session, when the caller may see its assistant.
pub async fn session(
    state: &AppState,
    caller: &Caller,
    id: &SessionId,
) -> Result<SessionRecord, ApiError> {
    let not_found = || ApiError::NotFound("no session with that id".into());
    let record = state.store.get_session(id).await?.ok_or_else(not_found)?;
    if can_see(state, caller, &record.summary.assistant_id).await? {
        Ok(record)
    } else {
        Err(not_found())
    }
}

/// Something a route names by its `{id}` that only some people may see.
pub trait Guarded: Sized + Send {
    fn find(
        state: &AppState,
        caller: &Caller,
        id: String,
    ) -> impl Future<Output = Result<Self, ApiError>> + Send;
}

impl Guarded for SessionRecord {
    async fn find(state: &AppState, caller: &Caller, id: String) -> Result<Self, ApiError> {
        session(state, caller, &SessionId(id)).await
    }
}

impl Guarded for Assistant {
    async fn find(state: &AppState, caller: &Caller, id: String) -> Result<Self, ApiError> {
        assistant(state, caller, &AssistantId(id)).await
    }
}

impl Guarded for Routine {
    async fn find(state: &AppState, caller: &Caller, id: String) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound("no routine with that id".into());
        let routine = state.store.get_routine(&id).await?.ok_or_else(not_found)?;
        if can_see(state, caller, &routine.assistant_id).await? {
            Ok(routine)
        } else {
            Err(not_found())
        }
    }
}

/// An approval is visible with its session, and answers "no pending
/// approval" otherwise, as for an id that does not exist.
impl Guarded for ApprovalRecord {
    async fn find(state: &AppState, caller: &Caller, id: String) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound("no pending approval with that id".into());
        let record = state
            .store
            .get_approval(&ApprovalId(id))
            .await?
            .ok_or_else(not_found)?;
        let session = state.store.get_session(&record.session_id).await?;
        match session {
            Some(session) if can_see(state, caller, &session.summary.assistant_id).await? => {
                Ok(record)
            }
            _ => Err(not_found()),
        }
    }
}

/// A task is the team's unless it is assigned, or private, to an assistant
/// the caller cannot see.
impl Guarded for Task {
    async fn find(state: &AppState, caller: &Caller, id: String) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound("no task with that id".into());
        let task = state.store.get_task(&id).await?.ok_or_else(not_found)?;
        for assistant in task.assignee_id.iter().chain(&task.private_to) {
            if !can_see(state, caller, assistant).await? {
                return Err(not_found());
            }
        }
        Ok(task)
    }
}

/// The caller, and the object the route's `{id}` names, which the caller
/// may see. Without credentials: 401; not visible or not there: 404.
pub struct Visible<T> {
    pub caller: Caller,
    pub item: T,
}

impl<T: Guarded> FromRequestParts<AppState> for Visible<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Who first: an anonymous caller learns nothing about ids.
        let caller = Caller::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        let id = params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value.to_owned())
            .ok_or(ApiError::Internal)?;
        let item = T::find(state, &caller, id).await?;
        Ok(Visible { caller, item })
    }
}
