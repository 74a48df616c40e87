//! Who may see what: an assistant's members (and admins) see its sessions,
//! chat, approvals and settings. Anything else answers 404, exactly as if
//! it did not exist.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::store::SessionRecord;
use tandem_shared::api::Assistant;
use tandem_shared::{AssistantId, SessionId};

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
