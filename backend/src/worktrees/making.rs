//! Making a session's worktree, finding it again for each run, and removing
//! it once its change has landed.

use super::git;
use super::repo::{self, Head};
use super::WorktreeError;
use std::path::{Path, PathBuf};
use tandem_shared::changes::{branch_name, Worktree, WorktreeState};
use tandem_shared::{AssistantId, SessionId};

/// Where a new session works.
pub enum Placed {
    /// Its own worktree, made now.
    Worktree(Box<Worktree>),
    /// The workspace itself: not a repository, or why not a worktree.
    InPlace(Option<String>),
}

/// The repository a workspace is in, when it counts as a git workspace:
/// not one whose repository is the whole machine or someone's home (a
/// dotfiles repository would give each session a copy of the home).
pub async fn git_workspace(workspace: &Path) -> Result<Option<repo::Repo>, WorktreeError> {
    let Some(repo) = repo::open(workspace).await? else {
        return Ok(None);
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let too_wide = repo.top == Path::new("/")
        || home.is_some_and(|home| home == repo.top && workspace != repo.top);
    Ok((!too_wide).then_some(repo))
}

/// Whether new sessions in `workspace` get worktrees of their own now.
pub async fn takes_worktrees(workspace: &Path) -> bool {
    match git_workspace(workspace).await {
        Ok(Some(repo)) => {
            repo.busy().is_none() && matches!(repo.head().await, Ok(Head::Branch { .. }))
        }
        _ => false,
    }
}

/// The directory of a session's worktree under Tandem's data directory.
pub fn path_for(data_dir: &Path, session_id: &SessionId) -> PathBuf {
    data_dir.join("worktrees").join(session_id.as_str())
}

/// Makes the session's worktree on a new branch from the workspace's
/// current branch, when the workspace is in a git repository.
pub async fn place(
    workspace: &Path,
    data_dir: &Path,
    session_id: &SessionId,
    assistant_id: &AssistantId,
    title: &str,
    now: i64,
) -> Result<Placed, WorktreeError> {
    let Some(repo) = git_workspace(workspace).await? else {
        return Ok(Placed::InPlace(None));
    };
    let shown = repo.top.display().to_string();
    if let Some(what) = repo.busy() {
        return Err(WorktreeError::Busy { repo: shown, what });
    }
    let (base_branch, base_commit) = match repo.head().await? {
        Head::Branch { name, commit } => (name, commit),
        Head::Detached(_) => return Err(WorktreeError::Detached(shown)),
        Head::Unborn(branch) => {
            return Ok(Placed::InPlace(Some(format!(
                "The repository's branch {branch} has no commit yet, so this session works in the workspace itself; after a first commit, each session gets a worktree of its own."
            ))))
        }
    };
    let path = path_for(data_dir, session_id);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            WorktreeError::Io(format!("could not make {}: {error}", parent.display()))
        })?;
    }
    let branch = branch_name(title, session_id.as_str());
    let shown_path = path.display().to_string();
    git::run(
        &repo.top,
        &[
            "worktree",
            "add",
            "--quiet",
            "-b",
            &branch,
            &shown_path,
            &base_commit,
        ],
    )
    .await?;
    Ok(Placed::Worktree(Box::new(Worktree {
        session_id: session_id.clone(),
        assistant_id: assistant_id.clone(),
        repo: shown,
        path: shown_path,
        branch,
        base_branch,
        base_commit,
        state: WorktreeState::Active,
        head_commit: None,
        outcome: None,
        proposed_at: None,
        created_at: now,
    })))
}

/// The directory a run of the session works in: its worktree, made again
/// from its branch if the directory went missing (a kept branch, or
/// someone removed it). `workspace` is the assistant's: a workspace below
/// the repository's top works at the same place in the worktree.
pub async fn ready(worktree: &Worktree, workspace: &Path) -> Result<PathBuf, WorktreeError> {
    match worktree.state {
        WorktreeState::Merged => return Err(WorktreeError::Landed("merged")),
        WorktreeState::Discarded => return Err(WorktreeError::Landed("discarded")),
        WorktreeState::Active | WorktreeState::Kept => {}
    }
    let top = PathBuf::from(&worktree.path);
    if !top.join(".git").exists() {
        let repo = PathBuf::from(&worktree.repo);
        let _ = git::run(&repo, &["worktree", "prune"]).await;
        let branch_ref = format!("refs/heads/{}", worktree.branch);
        if git::run(&repo, &["rev-parse", "-q", "--verify", &branch_ref])
            .await
            .is_err()
        {
            return Err(WorktreeError::Gone(format!(
                "the session's branch {} no longer exists in {}",
                worktree.branch, worktree.repo
            )));
        }
        git::run(
            &repo,
            &[
                "worktree",
                "add",
                "--quiet",
                &worktree.path,
                &worktree.branch,
            ],
        )
        .await?;
    }
    let below = workspace
        .strip_prefix(&worktree.repo)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let dir = top.join(below);
    Ok(if dir.is_dir() { dir } else { top })
}

/// Removes the worktree's directory and git's record of it (its branch
/// stays unless the caller deletes it).
pub async fn remove(worktree: &Worktree) -> Result<(), WorktreeError> {
    let repo = PathBuf::from(&worktree.repo);
    if Path::new(&worktree.path).exists() {
        git::run(
            &repo,
            &["worktree", "remove", "--force", "--force", &worktree.path],
        )
        .await?;
    }
    let _ = git::run(&repo, &["worktree", "prune"]).await;
    Ok(())
}
