//! Reviewing a session's work: its change as files and hunks, a review's
//! comments sent back as one follow-up, and landing the change (merge,
//! keep, discard, push, pull request) with what follows from it — the
//! linked tasks move on and the chat says what happened. The HTTP routes
//! and the assistant's own tools both come through here.

use crate::session::{Context, SessionError, Sessions};
use crate::store::{SessionRecord, StoreError};
use crate::worktrees::{self, review, Landing, WorktreeError};
use std::collections::HashMap;
use tandem_shared::api::{ChatAuthorKind, ChatMessage, Delivery, TaskStatus};
use tandem_shared::changes::{
    page_end, Changes, FileChange, FileDiff, Land, Landed, SendReview, WorktreeState,
};
use tandem_shared::{Seq, SessionId};

/// Events read per page while gathering a session's tool-call edits.
const EVENTS_PER_READ: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("this session has no worktree: its workspace is not a git repository with a commit, so its edits are already in the workspace")]
    NoWorktree,
    #[error(
        "the session is running; stop it or wait for its turn to end before landing its change"
    )]
    Running,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of the session's change.
pub async fn changes(
    ctx: &Context,
    record: &SessionRecord,
    workspace: &str,
    first_file: usize,
) -> Result<Changes, ReviewError> {
    let id = &record.summary.id;
    let Some(worktree) = ctx.store.worktree_of(id).await? else {
        let edits = tool_edits(ctx, id, workspace).await?;
        let (files, diffs): (Vec<FileChange>, Vec<FileDiff>) = edits.into_iter().unzip();
        let (end, next) = page_end(&files, first_file);
        let diffs = diffs
            .into_iter()
            .skip(first_file)
            .take(end.saturating_sub(first_file))
            .collect();
        return Ok(assemble(
            None,
            Default::default(),
            files,
            diffs,
            first_file,
            next,
            None,
        ));
    };
    let tools = if worktree.state.is_landed() {
        Default::default()
    } else {
        let repo = worktrees::open(std::path::Path::new(&worktree.repo))
            .await
            .ok()
            .flatten();
        worktrees::landing_tools(repo.as_ref()).await
    };
    Ok(match worktrees::changes_of(&worktree, first_file).await {
        Ok((files, diffs, next)) => {
            assemble(Some(worktree), tools, files, diffs, first_file, next, None)
        }
        Err(error) => assemble(
            Some(worktree),
            tools,
            Vec::new(),
            Vec::new(),
            first_file,
            None,
            Some(error.to_string()),
        ),
    })
}

fn assemble(
    worktree: Option<tandem_shared::changes::Worktree>,
    tools: tandem_shared::changes::LandingTools,
    files: Vec<FileChange>,
    diffs: Vec<FileDiff>,
    first_file: usize,
    next: Option<usize>,
    unavailable: Option<String>,
) -> Changes {
    Changes {
        added: files.iter().map(|f| f.added).sum(),
        removed: files.iter().map(|f| f.removed).sum(),
        worktree,
        tools,
        files,
        first_file: first_file as u32,
        diffs,
        next_file: next.map(|n| n as u32),
        unavailable,
    }
}

async fn tool_edits(
    ctx: &Context,
    id: &SessionId,
    workspace: &str,
) -> Result<Vec<(FileChange, FileDiff)>, StoreError> {
    let mut events = Vec::new();
    let mut after = Seq(0);
    loop {
        let page = ctx.store.events_after(id, after, EVENTS_PER_READ).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let done = (page.len() as i64) < EVENTS_PER_READ;
        events.extend(page);
        if done {
            break;
        }
    }
    Ok(worktrees::tool_edits(&events, workspace))
}

/// The follow-up a review becomes, each comment checked against the diff.
pub async fn review_message(
    ctx: &Context,
    record: &SessionRecord,
    workspace: &str,
    reviewer: &str,
    body: &SendReview,
) -> Result<String, ReviewError> {
    body.check().map_err(ReviewError::Invalid)?;
    let id = &record.summary.id;
    let worktree = ctx.store.worktree_of(id).await?;
    let (diffs, edits) = match &worktree {
        // One snapshot for the whole review, however many files it names.
        Some(worktree) => {
            let mut paths: Vec<&str> = body.comments.iter().map(|c| c.path.as_str()).collect();
            paths.sort_unstable();
            paths.dedup();
            (worktrees::file_diffs(worktree, &paths).await?, Vec::new())
        }
        None => (HashMap::new(), tool_edits(ctx, id, workspace).await?),
    };
    let mut quotes = Vec::new();
    for (at, comment) in body.comments.iter().enumerate() {
        let quoted = match worktree {
            Some(_) => review::quote(comment, diffs.get(&comment.path)),
            // Without git, a path may have several edits: the comment
            // belongs to the newest one that shows its lines.
            None => {
                let mut found = Err(format!(
                    "{} is not among the files this session edited",
                    comment.path
                ));
                for (_, diff) in edits.iter().rev().filter(|(f, _)| f.path == comment.path) {
                    found = review::quote(comment, Some(diff));
                    if found.is_ok() {
                        break;
                    }
                }
                found
            }
        };
        quotes.push(
            quoted.map_err(|why| ReviewError::Invalid(format!("comment {}: {why}", at + 1)))?,
        );
    }
    Ok(review::message(reviewer, &quotes))
}

/// Lands the session's change and says so: in the chat, and by moving its
/// tasks (merged: done).
pub async fn land(
    sessions: &Sessions,
    record: &SessionRecord,
    assistant: &str,
    by: &str,
    action: Land,
) -> Result<Landed, ReviewError> {
    let ctx = sessions.context();
    let id = &record.summary.id;
    let worktree = ctx
        .store
        .worktree_of(id)
        .await?
        .ok_or(ReviewError::NoWorktree)?;
    // One landing at a time on this server: two merges into one base
    // branch must not interleave.
    let _turn = LANDING.lock().await;
    if sessions.is_live(id) || record.summary.status.is_live() {
        return Err(ReviewError::Running);
    }
    let stat = match worktrees::changes_of(&worktree, usize::MAX).await {
        Ok((files, _, _)) => Some(tandem_shared::changes::stat_of(&files)),
        Err(_) => None,
    };
    let body = format!(
        "{}\n\nMade by {assistant} in a Tandem session{}.",
        record.summary.title,
        stat.as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default()
    );
    let landed = worktrees::land(
        &Landing {
            worktree: &worktree,
            title: &record.summary.title,
            assistant,
            body: &body,
        },
        action,
    )
    .await?;
    let now = ctx.clock.now_ms();
    if landed.state != worktree.state
        && !ctx
            .store
            .set_worktree_landed(
                id,
                landed.state,
                landed.head_commit.as_deref(),
                &landed.outcome,
                now,
            )
            .await?
    {
        return Err(ReviewError::Worktree(WorktreeError::Refused(
            "the change was landed by someone else a moment ago".into(),
        )));
    }
    if landed.state == WorktreeState::Merged {
        for mut task in ctx.store.tasks_of_session(id).await? {
            if task.status != TaskStatus::Done {
                task.status = TaskStatus::Done;
                task.updated_at = now;
                ctx.store.update_task(&task).await?;
            }
        }
    }
    let stat = stat.map(|s| format!(" ({s})")).unwrap_or_default();
    ctx.store
        .add_chat_message(&ChatMessage {
            id: ctx.ids.new_id("msg"),
            assistant_id: record.summary.assistant_id.clone(),
            at: now,
            author_kind: ChatAuthorKind::Summary,
            author: "Tandem".into(),
            text: format!(
                "{by} {} of “{}”{stat}.",
                landed.outcome, record.summary.title
            ),
            session_id: Some(id.clone()),
        })
        .await?;
    let worktree = ctx.store.worktree_of(id).await?.unwrap_or(worktree);
    Ok(Landed {
        worktree,
        outcome: landed.outcome,
        url: landed.url,
    })
}

static LANDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A review goes to the session as a follow-up from the reviewer.
pub async fn send_review(
    sessions: &Sessions,
    record: &SessionRecord,
    workspace: &str,
    reviewer: &str,
    body: &SendReview,
) -> Result<Delivery, ReviewError> {
    let message = review_message(sessions.context(), record, workspace, reviewer, body).await?;
    Ok(sessions
        .send_message(
            &record.summary.id,
            &message,
            Some(reviewer.to_owned()),
            body.interrupt,
        )
        .await?)
}

/// The branch and its change in a line, for the summary posted when a
/// session ends.
pub async fn branch_line(ctx: &Context, id: &SessionId) -> Option<String> {
    let worktree = ctx.store.worktree_of(id).await.ok()??;
    if worktree.state != WorktreeState::Active {
        return None;
    }
    let (files, _, _) = worktrees::changes_of(&worktree, usize::MAX).await.ok()?;
    if files.is_empty() {
        return Some(format!(
            "Branch `{}`: no changes against {}.",
            worktree.branch, worktree.base_branch
        ));
    }
    let stat = tandem_shared::changes::stat_of(&files);
    Some(format!(
        "Branch `{}`: {stat}, not merged yet — [review the changes](#/sessions/{}/changes).",
        worktree.branch, id
    ))
}
