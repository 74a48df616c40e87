//! A session's own git worktree: made on its own branch when its
//! assistant's workspace is a git repository, read as a diff against the
//! commit it was made at, and landed (merged, kept, discarded, pushed) by a
//! person. Every step is `git` itself, run as a child process; reading its
//! output is plain code (`unified.rs`).

pub mod git;
mod landing;
mod making;
mod reading;
mod repo;
pub mod review;
mod tool_edits;
mod tools;
pub mod unified;

pub use landing::{land, Landing};
pub use making::{git_workspace, place, ready, remove, takes_worktrees, Placed};
pub use reading::{changes_of, file_diffs};
pub use repo::{open, Head, Repo};
pub use tool_edits::tool_edits;
pub use tools::landing_tools;

use git::GitError;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WorktreeError {
    #[error("the repository at {repo} is in the middle of {what}; finish it or abort it there, then try again")]
    Busy { repo: String, what: &'static str },
    #[error("the repository at {0} has a detached HEAD; check out a branch there, so the session's change has a branch to land on")]
    Detached(String),
    #[error("this session's change was {0}; start a new session to go on")]
    Landed(&'static str),
    #[error("{0}")]
    Gone(String),
    #[error("merging would conflict in {}: merge or rebase by hand, or send the session a follow-up to resolve it", .0.join(", "))]
    Conflict(Vec<String>),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Absent(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0}")]
    Io(String),
}

/// The git steps against real repositories in temporary directories.
#[cfg(test)]
mod real_git;
