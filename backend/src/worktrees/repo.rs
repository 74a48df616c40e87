//! What Tandem needs to know of a workspace's repository: where it is, what
//! is checked out, and whether an operation (a rebase, a merge) is half
//! done in it.

use super::git::{self, GitError};
use std::path::{Path, PathBuf};

/// A git repository a workspace is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The top of its working tree.
    pub top: PathBuf,
    /// This working tree's own git directory (where a rebase's state is).
    pub git_dir: PathBuf,
    /// The directory every worktree of it shares (objects, refs, config).
    pub common_dir: PathBuf,
}

/// What HEAD is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    Branch {
        name: String,
        commit: String,
    },
    Detached(String),
    /// A branch with no commit yet (a fresh `git init`).
    Unborn(String),
}

/// The repository `dir` is in, if it is in one.
pub async fn open(dir: &Path) -> Result<Option<Repo>, GitError> {
    let found = git::run(
        dir,
        &[
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
        ],
    )
    .await;
    let output = match found {
        Ok(output) => output,
        // "not a git repository", or a bare one: no working tree to share.
        Err(GitError::Failed { .. }) => return Ok(None),
        Err(other) => return Err(other),
    };
    let mut lines = output.stdout.lines();
    let (Some(top), Some(git_dir), Some(common_dir)) = (lines.next(), lines.next(), lines.next())
    else {
        return Ok(None);
    };
    Ok(Some(Repo {
        top: PathBuf::from(top),
        git_dir: PathBuf::from(git_dir),
        common_dir: PathBuf::from(common_dir),
    }))
}

impl Repo {
    /// The operation left half done in this working tree, in words.
    pub fn busy(&self) -> Option<&'static str> {
        let has = |name: &str| self.git_dir.join(name).exists();
        if has("rebase-merge") || has("rebase-apply") {
            Some("a rebase")
        } else if has("MERGE_HEAD") {
            Some("a merge")
        } else if has("CHERRY_PICK_HEAD") {
            Some("a cherry-pick")
        } else if has("REVERT_HEAD") {
            Some("a revert")
        } else {
            None
        }
    }

    pub async fn head(&self) -> Result<Head, GitError> {
        let commit = git::run(&self.top, &["rev-parse", "-q", "--verify", "HEAD^{commit}"])
            .await
            .map(|output| output.line())
            .ok();
        let branch = git::run(&self.top, &["symbolic-ref", "-q", "--short", "HEAD"])
            .await
            .map(|output| output.line())
            .ok();
        Ok(match (branch, commit) {
            (Some(name), Some(commit)) => Head::Branch { name, commit },
            (Some(name), None) => Head::Unborn(name),
            (None, Some(commit)) => Head::Detached(commit),
            (None, None) => Head::Unborn("HEAD".into()),
        })
    }

    /// The commit a ref names, if it names one.
    pub async fn commit_of(&self, name: &str) -> Option<String> {
        let spec = format!("{name}^{{commit}}");
        git::run(&self.top, &["rev-parse", "-q", "--verify", &spec])
            .await
            .map(|output| output.line())
            .ok()
    }

    /// The working tree that has `branch` checked out, if one has.
    pub async fn checked_out_at(&self, branch: &str) -> Result<Option<PathBuf>, GitError> {
        let list = git::run(&self.top, &["worktree", "list", "--porcelain", "-z"]).await?;
        let wanted = format!("branch refs/heads/{branch}");
        let mut path = None;
        for field in list.stdout.split('\0') {
            if let Some(at) = field.strip_prefix("worktree ") {
                path = Some(PathBuf::from(at));
            } else if field == wanted {
                return Ok(path);
            }
        }
        Ok(None)
    }

    /// The remote a branch would be pushed to: `origin`, else the first.
    pub async fn remote(&self) -> Option<String> {
        let remotes = git::run(&self.top, &["remote"]).await.ok()?;
        let names: Vec<&str> = remotes.stdout.lines().map(str::trim).collect();
        if names.contains(&"origin") {
            return Some("origin".into());
        }
        names.first().map(|name| (*name).to_owned())
    }
}
