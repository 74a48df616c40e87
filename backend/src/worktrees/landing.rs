//! Landing a session's change: merged into its base branch (fast-forward or
//! a merge commit, refused with the conflicting files named), kept as a
//! branch, discarded, pushed, or opened as a pull request. Whatever the
//! agent left uncommitted is committed to the branch first, so what lands
//! is what the Changes tab showed.

use super::git::{self, GitError, NETWORK_TIMEOUT};
use super::making::remove;
use super::repo::{self, Repo};
use super::tools::gh_ready;
use super::WorktreeError;
use std::path::{Path, PathBuf};
use tandem_shared::changes::{Land, MergeHow, Worktree, WorktreeState};

/// What is landed, and in whose name.
pub struct Landing<'a> {
    pub worktree: &'a Worktree,
    /// The session's title: commit messages and the pull request's title.
    pub title: &'a str,
    /// The assistant's name: the author of the work it left uncommitted.
    pub assistant: &'a str,
    /// The pull request's text (the session's summary).
    pub body: &'a str,
}

/// What landing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandedAs {
    pub state: WorktreeState,
    pub outcome: String,
    pub head_commit: Option<String>,
    pub url: Option<String>,
}

pub async fn land(landing: &Landing<'_>, action: Land) -> Result<LandedAs, WorktreeError> {
    let worktree = landing.worktree;
    match worktree.state {
        WorktreeState::Merged => return Err(WorktreeError::Landed("merged")),
        WorktreeState::Discarded => return Err(WorktreeError::Landed("discarded")),
        WorktreeState::Active | WorktreeState::Kept => {}
    }
    let repo = repo::open(Path::new(&worktree.repo))
        .await?
        .ok_or_else(|| {
            WorktreeError::Gone(format!("{} is no longer a git repository", worktree.repo))
        })?;
    match action {
        Land::Merge { how } => merge(landing, &repo, how).await,
        Land::Discard => {
            remove(worktree).await?;
            let head = branch_tip(&repo, &worktree.branch).await;
            let _ = git::run(&repo.top, &["branch", "-D", &worktree.branch]).await;
            Ok(LandedAs {
                state: WorktreeState::Discarded,
                outcome: format!("discarded the branch {}", worktree.branch),
                head_commit: head,
                url: None,
            })
        }
        Land::Keep => {
            commit_pending(landing).await?;
            let head = branch_tip(&repo, &worktree.branch).await;
            remove(worktree).await?;
            Ok(LandedAs {
                state: WorktreeState::Kept,
                outcome: format!("kept the branch {} for later", worktree.branch),
                head_commit: head,
                url: None,
            })
        }
        Land::Push => {
            let remote = push(landing, &repo).await?;
            Ok(LandedAs {
                state: worktree.state,
                outcome: format!("pushed the branch {} to {remote}", worktree.branch),
                head_commit: branch_tip(&repo, &worktree.branch).await,
                url: None,
            })
        }
        Land::PullRequest => {
            gh_ready().await.map_err(WorktreeError::Absent)?;
            let remote = push(landing, &repo).await?;
            let opened = git_free_command(
                &repo.top,
                "gh",
                &[
                    "pr",
                    "create",
                    "--head",
                    &worktree.branch,
                    "--base",
                    &worktree.base_branch,
                    "--title",
                    landing.title,
                    "--body",
                    landing.body,
                ],
            )
            .await?;
            let url = opened
                .lines()
                .rev()
                .find(|line| line.starts_with("http"))
                .map(str::to_owned);
            Ok(LandedAs {
                state: worktree.state,
                outcome: format!(
                    "pushed the branch {} to {remote} and opened a pull request{}",
                    worktree.branch,
                    url.as_deref()
                        .map(|u| format!(" ({u})"))
                        .unwrap_or_default()
                ),
                head_commit: branch_tip(&repo, &worktree.branch).await,
                url,
            })
        }
    }
}

async fn merge(
    landing: &Landing<'_>,
    repo: &Repo,
    how: MergeHow,
) -> Result<LandedAs, WorktreeError> {
    let worktree = landing.worktree;
    let base = &worktree.base_branch;
    let checked_out = repo.checked_out_at(base).await?;
    let target = checked_out.clone().unwrap_or_else(|| repo.top.clone());
    if let Some(target_repo) = repo::open(&target).await? {
        if let Some(what) = target_repo.busy() {
            return Err(WorktreeError::Busy {
                repo: target.display().to_string(),
                what,
            });
        }
    }
    commit_pending(landing).await?;
    let head = branch_tip(repo, &worktree.branch).await.ok_or_else(|| {
        WorktreeError::Gone(format!("the branch {} no longer exists", worktree.branch))
    })?;
    let base_ref = format!("refs/heads/{base}");
    let base_now = repo
        .commit_of(&base_ref)
        .await
        .ok_or_else(|| WorktreeError::Gone(format!("the base branch {base} no longer exists")))?;
    if is_ancestor(repo, &head, &base_now).await {
        finish(worktree, repo).await?;
        return Ok(LandedAs {
            state: WorktreeState::Merged,
            outcome: format!(
                "nothing to merge: {base} already has everything on {}",
                worktree.branch
            ),
            head_commit: Some(head),
            url: None,
        });
    }
    let tree = merged_tree(repo, &base_now, &head).await?;
    let fast_forward = is_ancestor(repo, &base_now, &head).await;
    if how == MergeHow::FastForward && !fast_forward {
        return Err(WorktreeError::Refused(format!(
            "{base} has moved on since the session began, so it cannot fast-forward; merge with a merge commit instead"
        )));
    }
    let use_ff = fast_forward && how != MergeHow::MergeCommit;
    let message = format!("Merge {} ({})", worktree.branch, landing.title);
    let identity = identity(repo).await;
    let mut args: Vec<&str> = identity.iter().map(String::as_str).collect();
    match &checked_out {
        // Checked out somewhere: merged there, so its files follow.
        Some(dir) => {
            if use_ff {
                args.extend(["merge", "--ff-only", "-q", &head]);
            } else {
                args.extend([
                    "merge",
                    "--no-ff",
                    "--no-verify",
                    "-q",
                    "-m",
                    &message,
                    &head,
                ]);
            }
            if let Err(error) = git::run(dir, &args).await {
                let _ = git::run(dir, &["merge", "--abort"]).await;
                return Err(WorktreeError::Refused(format!(
                    "git refused to merge into {base} at {}: {}",
                    dir.display(),
                    reason(&error)
                )));
            }
        }
        // Checked out nowhere: the branch is moved, no files touched.
        None => {
            let new = if use_ff {
                head.clone()
            } else {
                args.extend([
                    "commit-tree",
                    &tree,
                    "-p",
                    &base_now,
                    "-p",
                    &head,
                    "-m",
                    &message,
                ]);
                git::run(&repo.top, &args).await?.line()
            };
            git::run(&repo.top, &["update-ref", &base_ref, &new, &base_now]).await?;
        }
    }
    let merged = repo.commit_of(&base_ref).await.unwrap_or_default();
    finish(worktree, repo).await?;
    let short: String = merged.chars().take(7).collect();
    Ok(LandedAs {
        state: WorktreeState::Merged,
        outcome: format!(
            "merged into {base} as {short} ({})",
            if use_ff {
                "fast-forward"
            } else {
                "merge commit"
            }
        ),
        head_commit: Some(head),
        url: None,
    })
}

/// The tree the merge would make, or the files it would conflict in;
/// nothing is touched either way.
async fn merged_tree(repo: &Repo, base: &str, head: &str) -> Result<String, WorktreeError> {
    let result = git::run(
        &repo.top,
        &[
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            base,
            head,
        ],
    )
    .await;
    match result {
        Ok(output) => Ok(output.line()),
        Err(GitError::Failed {
            code: Some(1),
            stdout,
            ..
        }) => {
            let conflicts = stdout
                .lines()
                .skip(1)
                .take_while(|line| !line.is_empty())
                .map(str::to_owned)
                .collect();
            Err(WorktreeError::Conflict(conflicts))
        }
        Err(other) => Err(other.into()),
    }
}

/// The worktree and the merged branch go; the merge is in the base.
async fn finish(worktree: &Worktree, repo: &Repo) -> Result<(), WorktreeError> {
    remove(worktree).await?;
    let _ = git::run(&repo.top, &["branch", "-D", &worktree.branch]).await;
    Ok(())
}

/// Commits what the agent left in the worktree, if anything.
async fn commit_pending(landing: &Landing<'_>) -> Result<(), WorktreeError> {
    let top = PathBuf::from(&landing.worktree.path);
    if !top.join(".git").exists() {
        return Ok(());
    }
    let status = git::run(&top, &["status", "--porcelain", "--untracked-files=all"]).await?;
    if status.stdout.trim().is_empty() {
        return Ok(());
    }
    git::run(&top, &["add", "-A", "--", "."]).await?;
    let message = format!(
        "{}\n\nLeft uncommitted by the session; committed by Tandem when it landed.",
        landing.title
    );
    let author = format!("user.name={} (Tandem)", landing.assistant);
    // Hooks are skipped: this records the agent's work as it was reviewed.
    git::run(
        &top,
        &[
            "-c",
            &author,
            "-c",
            "user.email=tandem@localhost",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &message,
        ],
    )
    .await?;
    Ok(())
}

/// A committer for a merge commit when the repository names none.
async fn identity(repo: &Repo) -> Vec<String> {
    let named = git::run(&repo.top, &["config", "user.email"]).await.is_ok();
    if named {
        return Vec::new();
    }
    [
        "-c",
        "user.name=Tandem",
        "-c",
        "user.email=tandem@localhost",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

async fn push(landing: &Landing<'_>, repo: &Repo) -> Result<String, WorktreeError> {
    let remote = repo.remote().await.ok_or_else(|| {
        WorktreeError::Absent("the repository has no remote to push to".to_owned())
    })?;
    commit_pending(landing).await?;
    git::run_with(
        &repo.top,
        &["push", "-q", "-u", &remote, &landing.worktree.branch],
        &[],
        NETWORK_TIMEOUT,
    )
    .await?;
    Ok(remote)
}

async fn branch_tip(repo: &Repo, branch: &str) -> Option<String> {
    repo.commit_of(&format!("refs/heads/{branch}")).await
}

async fn is_ancestor(repo: &Repo, older: &str, newer: &str) -> bool {
    git::run(&repo.top, &["merge-base", "--is-ancestor", older, newer])
        .await
        .is_ok()
}

fn reason(error: &GitError) -> String {
    match error {
        GitError::Failed { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Another tool (`gh`) run in the repository, its output on success.
async fn git_free_command(
    dir: &Path,
    program: &str,
    args: &[&str],
) -> Result<String, WorktreeError> {
    let output = tokio::time::timeout(
        NETWORK_TIMEOUT,
        tokio::process::Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| WorktreeError::Refused(format!("{program} took too long and was stopped")))?
    .map_err(|error| WorktreeError::Absent(format!("{program} could not run: {error}")))?;
    if !output.status.success() {
        return Err(WorktreeError::Refused(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
