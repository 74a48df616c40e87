//! Carrying out one tool call for a run's assistant.

use super::reach::Reach;
use super::Grant;
use crate::session::Context;
use crate::store::StoreError;
use crate::wakes::{WakeError, WakeRequest, Wakes};
use std::sync::Arc;
use tandem_shared::api::{
    Assistant, ChatAuthorKind, ChatMessage, JournalEntry, Task, TaskStatus, ToolCallRequest,
    WakeTrigger,
};
use tandem_shared::AssistantId;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// A field the agent got wrong; the message names it.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Wake(#[from] WakeError),
}

const MAX_MEMORY: usize = 200_000;
const MAX_TEXT: usize = 20_000;

pub async fn call(
    ctx: &Arc<Context>,
    wakes: &Wakes,
    grant: &Grant,
    request: ToolCallRequest,
) -> Result<String, ToolError> {
    let store = &ctx.store;
    let mut me = store
        .get_assistant(&grant.assistant_id)
        .await?
        .ok_or_else(|| ToolError::NotFound("this run's assistant no longer exists".into()))?;
    match request {
        ToolCallRequest::ReadMemory { assistant_id } => {
            own(&me, assistant_id)?;
            Ok(if me.memory.is_empty() {
                "(memory is empty)".into()
            } else {
                me.memory
            })
        }
        ToolCallRequest::WriteMemory { text, assistant_id } => {
            own(&me, assistant_id)?;
            if text.chars().count() > MAX_MEMORY {
                return Err(ToolError::Invalid(format!(
                    "text: at most {MAX_MEMORY} characters"
                )));
            }
            me.memory = text;
            store.update_assistant(&me).await?;
            Ok("Memory saved.".into())
        }
        ToolCallRequest::AppendJournal { text, assistant_id } => {
            own(&me, assistant_id)?;
            let text = bounded("text", &text)?;
            store
                .add_journal_entry(
                    &me.id,
                    &JournalEntry {
                        id: ctx.ids.new_id("jnl"),
                        at: ctx.clock.now_ms(),
                        text,
                    },
                )
                .await?;
            Ok("Journal entry added.".into())
        }
        ToolCallRequest::ListTasks => {
            let reach = Reach::of(store, &me.id).await?;
            let tasks: Vec<Task> = store
                .list_tasks(crate::store::Scope::All)
                .await?
                .into_iter()
                .filter(|task| reach.sees_task(task))
                .collect();
            if tasks.is_empty() {
                return Ok("No tasks.".into());
            }
            Ok(tasks
                .iter()
                .map(|t| {
                    format!(
                        "{} [{}] {}{}",
                        t.id,
                        t.status.as_str(),
                        t.title,
                        t.assignee_id
                            .as_ref()
                            .map(|a| format!(" (assigned to {a})"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        ToolCallRequest::CreateTask {
            title,
            body,
            assignee,
        } => {
            let title = bounded("title", &title)?;
            let assignee = match assignee {
                Some(who) => Some(find_assistant(ctx, &me, &who, "assignee").await?),
                None => None,
            };
            let now = ctx.clock.now_ms();
            let task = Task {
                id: ctx.ids.new_id("tsk"),
                title: title.clone(),
                body,
                status: TaskStatus::Todo,
                assignee_id: assignee.as_ref().map(|a| a.id.clone()),
                parent_id: None,
                // What an agent writes is seen by those who see its assistant.
                private_to: Some(me.id.clone()),
                session_ids: vec![],
                created_at: now,
                updated_at: now,
            };
            store.create_task(&task).await?;
            if let Some(assignee) = &assignee {
                wakes
                    .wake(WakeRequest {
                        assistant_id: assignee.id.clone(),
                        trigger: WakeTrigger::Task,
                        source: format!("assistant {}", me.name),
                        message: if task.body.trim().is_empty() {
                            task.title.clone()
                        } else {
                            format!("{}\n\n{}", task.title, task.body.trim())
                        },
                        task_id: Some(task.id.clone()),
                        title: Some(task.title.clone()),
                        skipped: None,
                    })
                    .await?;
            }
            Ok(format!("Created task {} “{title}”.", task.id))
        }
        ToolCallRequest::UpdateTask {
            id,
            title,
            body,
            status,
        } => {
            let reach = Reach::of(store, &me.id).await?;
            let mut task = store
                .get_task(&id)
                .await?
                .filter(|task| reach.sees_task(task))
                .ok_or_else(|| ToolError::NotFound(format!("id: no task {id}")))?;
            if let Some(title) = title {
                task.title = bounded("title", &title)?;
            }
            if let Some(body) = body {
                task.body = body;
            }
            if let Some(status) = status {
                task.status = status;
            }
            task.updated_at = ctx.clock.now_ms();
            store.update_task(&task).await?;
            Ok(format!("Task {} is {}.", task.id, task.status.as_str()))
        }
        ToolCallRequest::PostChat { text } => {
            let text = bounded("text", &text)?;
            store
                .add_chat_message(&ChatMessage {
                    id: ctx.ids.new_id("msg"),
                    assistant_id: me.id.clone(),
                    at: ctx.clock.now_ms(),
                    author_kind: ChatAuthorKind::Assistant,
                    author: me.name.clone(),
                    text,
                    session_id: Some(grant.session_id.clone()),
                })
                .await?;
            Ok("Posted in chat.".into())
        }
        ToolCallRequest::ReadMyDiff { from_file } => {
            let record = store
                .get_session(&grant.session_id)
                .await?
                .ok_or_else(|| ToolError::NotFound("this run's session no longer exists".into()))?;
            let first = from_file.unwrap_or(0) as usize;
            let changes = crate::review::changes(ctx, &record, &me.workspace, first)
                .await
                .map_err(|error| ToolError::Invalid(error.to_string()))?;
            Ok(super::diff_text::unified(&changes))
        }
        ToolCallRequest::ProposeMerge { note } => {
            let note = note.trim();
            if note.chars().count() > MAX_TEXT {
                return Err(ToolError::Invalid(format!(
                    "note: at most {MAX_TEXT} characters"
                )));
            }
            let worktree = store.worktree_of(&grant.session_id).await?.ok_or_else(|| {
                ToolError::Invalid(
                    "this session has no branch of its own to merge: its workspace is not a git repository, so its edits are already there".into(),
                )
            })?;
            if worktree.state.is_landed() {
                return Err(ToolError::Invalid(format!(
                    "this session's branch was already {}",
                    worktree.state.as_str()
                )));
            }
            let now = ctx.clock.now_ms();
            store.set_worktree_proposed(&grant.session_id, now).await?;
            let said = if note.is_empty() {
                String::new()
            } else {
                format!(" {note}")
            };
            store
                .add_chat_message(&ChatMessage {
                    id: ctx.ids.new_id("msg"),
                    assistant_id: me.id.clone(),
                    at: now,
                    author_kind: ChatAuthorKind::Assistant,
                    author: me.name.clone(),
                    text: format!(
                        "I propose merging `{}` into {}.{said} [Review the changes](#/sessions/{}/changes).",
                        worktree.branch, worktree.base_branch, grant.session_id
                    ),
                    session_id: Some(grant.session_id.clone()),
                })
                .await?;
            Ok(format!(
                "Proposed: the people you work with are asked to review and merge `{}` into {}. A person merges it, after this session's turn ends.",
                worktree.branch, worktree.base_branch
            ))
        }
        ToolCallRequest::WakeAssistant { assistant, message } => {
            let message = bounded("message", &message)?;
            let other = find_assistant(ctx, &me, &assistant, "assistant").await?;
            if other.id == me.id {
                return Err(ToolError::Invalid(
                    "assistant: an assistant cannot wake itself".into(),
                ));
            }
            let wake = wakes
                .wake(WakeRequest {
                    assistant_id: other.id.clone(),
                    trigger: WakeTrigger::Heartbeat,
                    source: format!("assistant {}", me.name),
                    message,
                    task_id: None,
                    title: None,
                    skipped: None,
                })
                .await?;
            Ok(format!("Woke {} ({}).", other.name, wake.state.as_str()))
        }
    }
}

/// Memory and journal tools act on the run's own assistant only.
fn own(me: &Assistant, asked: Option<AssistantId>) -> Result<(), ToolError> {
    match asked {
        Some(id) if id != me.id => Err(ToolError::Forbidden(
            "assistant_id: this token belongs to another assistant".into(),
        )),
        _ => Ok(()),
    }
}

fn bounded(field: &str, text: &str) -> Result<String, ToolError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(ToolError::Invalid(format!(
            "{field}: must be 1 to {MAX_TEXT} characters"
        )));
    }
    Ok(text.to_owned())
}

/// An assistant by id or name, among those the run reaches; one it does
/// not reach is "no assistant", as if it did not exist.
async fn find_assistant(
    ctx: &Context,
    me: &Assistant,
    who: &str,
    field: &str,
) -> Result<Assistant, ToolError> {
    let reach = Reach::of(&ctx.store, &me.id).await?;
    let all = ctx.store.list_assistants(crate::store::Scope::All).await?;
    all.into_iter()
        .filter(|a| reach.sees(&a.id))
        .find(|a| a.id.as_str() == who || a.name.eq_ignore_ascii_case(who.trim()))
        .ok_or_else(|| ToolError::NotFound(format!("{field}: no assistant called {who}")))
}
