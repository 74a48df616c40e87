//! A session's change as people review it: its worktree and branch (when
//! the workspace is a git repository), the files it touched with counts,
//! and their hunks, numbered as in the files. The server works the diff
//! out; the web app only draws it.

use crate::{AssistantId, SessionId};
use serde::{Deserialize, Serialize};

/// Most files whose hunks one page of changes carries.
pub const FILES_PER_PAGE: usize = 50;
/// Most diff lines one page carries (a file is never split across pages;
/// a single file over the limit is cut, and says so).
pub const LINES_PER_PAGE: usize = 4_000;
/// Most comments one review sends.
pub const MAX_REVIEW_COMMENTS: usize = 100;
/// Longest comment.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// Where a session's own worktree stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorktreeState {
    /// The session works in it; the branch is not landed yet.
    Active,
    /// The branch is kept for later; the worktree is removed.
    Kept,
    /// The branch is merged into its base; the worktree is removed.
    Merged,
    /// The branch and the worktree are removed.
    Discarded,
}

impl WorktreeState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorktreeState::Active => "active",
            WorktreeState::Kept => "kept",
            WorktreeState::Merged => "merged",
            WorktreeState::Discarded => "discarded",
        }
    }

    pub fn parse(text: &str) -> Option<WorktreeState> {
        Some(match text {
            "active" => WorktreeState::Active,
            "kept" => WorktreeState::Kept,
            "merged" => WorktreeState::Merged,
            "discarded" => WorktreeState::Discarded,
            _ => return None,
        })
    }

    /// Merged or discarded: nothing more happens on the branch.
    pub fn is_landed(self) -> bool {
        matches!(self, WorktreeState::Merged | WorktreeState::Discarded)
    }
}

/// A session's own git worktree on its own branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Worktree {
    pub session_id: SessionId,
    pub assistant_id: AssistantId,
    /// The assistant's workspace: the repository the branch is made in.
    pub repo: String,
    /// The worktree's directory (under Tandem's data directory).
    pub path: String,
    pub branch: String,
    /// The branch it was made from, and the commit it was made at.
    pub base_branch: String,
    pub base_commit: String,
    pub state: WorktreeState,
    /// The branch's last commit when it was landed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_commit: Option<String>,
    /// What landing it did, in words ("merged into main as 1a2b3c4").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// When the assistant proposed merging it (a person still merges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// One file of the change, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileChange {
    pub path: String,
    /// Its path before a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub added: u32,
    pub removed: u32,
    /// Binary: named, never shown.
    #[serde(default)]
    pub binary: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

/// One line of a hunk, with its numbers in the old and new file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HunkLine {
    pub kind: LineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u32>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hunk {
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    /// The enclosing function or section git names after `@@`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub section: String,
    pub lines: Vec<HunkLine>,
}

/// The hunks of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileDiff {
    pub path: String,
    pub hunks: Vec<Hunk>,
    /// Cut at the page's line limit: the rest is not shown here.
    #[serde(default)]
    pub truncated: bool,
    /// For a workspace without git: the tool call that made this edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// What the server can do with a branch besides merging it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LandingTools {
    /// The remote "Push branch" pushes to, if the repository has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// The `gh` CLI is installed and logged in: "Open pull request" works.
    pub pull_requests: bool,
    /// Why pull requests are not offered, when they are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_requests_absent: Option<String>,
}

/// `GET /api/sessions/{id}/changes`: every file with its counts, and one
/// page of hunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changes {
    /// The session's worktree; none for a workspace without git (then the
    /// files are the edits its tool calls made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<Worktree>,
    #[serde(default)]
    pub tools: LandingTools,
    pub files: Vec<FileChange>,
    pub added: u32,
    pub removed: u32,
    /// Hunks of the files from `first_file` on, as many as one page holds.
    pub first_file: u32,
    pub diffs: Vec<FileDiff>,
    /// Where the next page starts, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_file: Option<u32>,
    /// Why the diff could not be read now (the worktree is gone, git
    /// failed), with what is known kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl Changes {
    /// "3 files changed, +20 −4", as the summary and the tab say it.
    pub fn stat_words(&self) -> String {
        stat_words(self.files.len(), self.added, self.removed)
    }
}

/// The same, counted from the files.
pub fn stat_of(files: &[FileChange]) -> String {
    stat_words(
        files.len(),
        files.iter().map(|f| f.added).sum(),
        files.iter().map(|f| f.removed).sum(),
    )
}

pub fn stat_words(files: usize, added: u32, removed: u32) -> String {
    let noun = if files == 1 { "file" } else { "files" };
    format!("{files} {noun} changed, +{added} −{removed}")
}

/// Where a page that starts at `first` ends, and where the next starts.
pub fn page_end(files: &[FileChange], first: usize) -> (usize, Option<usize>) {
    let mut lines = 0usize;
    for (at, file) in files.iter().enumerate().skip(first) {
        let size = (file.added + file.removed) as usize;
        if at > first && (at - first >= FILES_PER_PAGE || lines + size > LINES_PER_PAGE) {
            return (at, Some(at));
        }
        lines += size;
    }
    (files.len(), None)
}

/// A hunk as two columns, old on the left and new on the right: kept lines
/// on both, a run of removed lines beside the added lines that replace it.
pub fn side_by_side(hunk: &Hunk) -> Vec<(Option<&HunkLine>, Option<&HunkLine>)> {
    let mut rows = Vec::new();
    let mut removed: Vec<&HunkLine> = Vec::new();
    let mut added: Vec<&HunkLine> = Vec::new();
    fn pair<'h>(
        rows: &mut Vec<(Option<&'h HunkLine>, Option<&'h HunkLine>)>,
        removed: &mut Vec<&'h HunkLine>,
        added: &mut Vec<&'h HunkLine>,
    ) {
        let n = removed.len().max(added.len());
        for at in 0..n {
            rows.push((removed.get(at).copied(), added.get(at).copied()));
        }
        removed.clear();
        added.clear();
    }
    for line in &hunk.lines {
        match line.kind {
            LineKind::Removed => {
                // A removal after additions starts a new pairing.
                if !added.is_empty() {
                    pair(&mut rows, &mut removed, &mut added);
                }
                removed.push(line);
            }
            LineKind::Added => added.push(line),
            LineKind::Context => {
                pair(&mut rows, &mut removed, &mut added);
                rows.push((Some(line), Some(line)));
            }
        }
    }
    pair(&mut rows, &mut removed, &mut added);
    rows
}

/// Which side of the diff a comment's lines are numbered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Lines of the file as the session left it.
    #[default]
    New,
    /// Lines of the file as it was (removed lines).
    Old,
}

/// One comment on lines of the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewComment {
    pub path: String,
    #[serde(default)]
    pub side: Side,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
}

/// `POST /api/sessions/{id}/review`: comments sent as one follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendReview {
    pub comments: Vec<ReviewComment>,
    /// Cancel the current turn and send it now, as the composer's
    /// "interrupt" does; otherwise it waits behind the turn.
    #[serde(default)]
    pub interrupt: bool,
}

impl SendReview {
    /// What can be judged without the diff.
    pub fn check(&self) -> Result<(), String> {
        if self.comments.is_empty() {
            return Err("comments: a review needs at least one comment".into());
        }
        if self.comments.len() > MAX_REVIEW_COMMENTS {
            return Err(format!(
                "comments: at most {MAX_REVIEW_COMMENTS} in one review"
            ));
        }
        for (at, comment) in self.comments.iter().enumerate() {
            let n = at + 1;
            if comment.text.trim().is_empty() {
                return Err(format!("comment {n}: the text is empty"));
            }
            if comment.text.chars().count() > MAX_COMMENT_CHARS {
                return Err(format!(
                    "comment {n}: longer than {MAX_COMMENT_CHARS} characters"
                ));
            }
            if comment.start_line == 0 || comment.end_line < comment.start_line {
                return Err(format!(
                    "comment {n}: lines {}–{} are not a range of lines",
                    comment.start_line, comment.end_line
                ));
            }
        }
        Ok(())
    }
}

/// How a merge lands the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MergeHow {
    /// Fast-forward when the base has not moved, else a merge commit.
    #[default]
    Auto,
    /// Only a fast-forward; refused when the base has moved on.
    FastForward,
    /// Always a merge commit.
    MergeCommit,
}

/// `POST /api/sessions/{id}/land`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Land {
    Merge {
        #[serde(default)]
        how: MergeHow,
    },
    /// Remove the worktree and the branch.
    Discard,
    /// Keep the branch for later; remove the worktree.
    Keep,
    /// Push the branch to the repository's remote.
    Push,
    /// Push, then open a pull request with `gh`.
    PullRequest,
}

/// What landing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landed {
    pub worktree: Worktree,
    /// In words: "merged into main as 1a2b3c4 (fast-forward)".
    pub outcome: String,
    /// A pull request's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A refused merge: why, and the files that conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeRefused {
    pub error: String,
    #[serde(default)]
    pub conflicts: Vec<String>,
}

/// The branch name for a session: `tandem/<short-title>-<id>`, a name git
/// takes whatever the title holds.
pub fn branch_name(title: &str, session_id: &str) -> String {
    let mut slug = String::new();
    for ch in title.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 32 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let id: String = session_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if slug.is_empty() {
        format!("tandem/{id}")
    } else {
        format!("tandem/{slug}-{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_safe_whatever_the_title() {
        assert_eq!(
            branch_name("Fix the login page!", "ses_ab12"),
            "tandem/fix-the-login-page-ses_ab12"
        );
        assert_eq!(branch_name("../../etc ~^:?*[", "ses_1"), "tandem/etc-ses_1");
        assert_eq!(branch_name("", "ses_1"), "tandem/ses_1");
        assert_eq!(
            branch_name("Ünïcode — only", "ses_1"),
            "tandem/n-code-only-ses_1"
        );
        let long = branch_name(&"word ".repeat(40), "ses_1");
        assert!(long.len() < 50, "{long}");
        assert!(!long.contains("--") && !long.contains(".."));
    }

    #[test]
    fn reviews_are_judged_before_the_diff_is_read() {
        let comment = |start, end, text: &str| ReviewComment {
            path: "a.rs".into(),
            side: Side::New,
            start_line: start,
            end_line: end,
            text: text.into(),
        };
        let review = |comments| SendReview {
            comments,
            interrupt: false,
        };
        assert!(review(vec![comment(1, 2, "why?")]).check().is_ok());
        assert!(review(vec![]).check().is_err());
        assert!(review(vec![comment(0, 2, "x")]).check().is_err());
        assert!(review(vec![comment(5, 2, "x")]).check().is_err());
        assert!(review(vec![comment(1, 1, "  ")]).check().is_err());
        let many = vec![comment(1, 1, "x"); MAX_REVIEW_COMMENTS + 1];
        assert!(review(many).check().is_err());
    }

    #[test]
    fn land_actions_read_as_tagged_json() {
        let merge: Land = serde_json::from_str(r#"{"action":"merge"}"#).unwrap_or(Land::Keep);
        assert_eq!(
            merge,
            Land::Merge {
                how: MergeHow::Auto
            }
        );
        let ff: Result<Land, _> =
            serde_json::from_str(r#"{"action":"merge","how":"fast_forward"}"#);
        assert_eq!(
            ff.ok(),
            Some(Land::Merge {
                how: MergeHow::FastForward
            })
        );
        assert!(serde_json::from_str::<Land>(r#"{"action":"rebase"}"#).is_err());
    }

    #[test]
    fn side_by_side_pairs_removals_with_the_additions_that_replace_them() {
        let line = |kind, old, new, text: &str| HunkLine {
            kind,
            old,
            new,
            text: text.into(),
        };
        let hunk = Hunk {
            old_start: 1,
            old_lines: 4,
            new_start: 1,
            new_lines: 4,
            section: String::new(),
            lines: vec![
                line(LineKind::Context, Some(1), Some(1), "a"),
                line(LineKind::Removed, Some(2), None, "b"),
                line(LineKind::Removed, Some(3), None, "c"),
                line(LineKind::Added, None, Some(2), "B"),
                line(LineKind::Context, Some(4), Some(3), "d"),
                line(LineKind::Added, None, Some(4), "e"),
            ],
        };
        let rows: Vec<(Option<&str>, Option<&str>)> = side_by_side(&hunk)
            .into_iter()
            .map(|(l, r)| (l.map(|l| l.text.as_str()), r.map(|r| r.text.as_str())))
            .collect();
        assert_eq!(
            rows,
            [
                (Some("a"), Some("a")),
                (Some("b"), Some("B")),
                (Some("c"), None),
                (Some("d"), Some("d")),
                (None, Some("e")),
            ]
        );
    }

    fn file(lines: u32) -> FileChange {
        FileChange {
            path: "f".into(),
            old_path: None,
            status: FileStatus::Modified,
            added: lines,
            removed: 0,
            binary: false,
        }
    }

    #[test]
    fn pages_end_at_the_line_or_file_limit_and_never_split_a_file() {
        let files = vec![file(10); 120];
        assert_eq!(page_end(&files, 0), (FILES_PER_PAGE, Some(FILES_PER_PAGE)));
        assert_eq!(page_end(&files, 100), (120, None));
        let big = vec![file(3_000), file(3_000), file(1)];
        assert_eq!(page_end(&big, 0), (1, Some(1)));
        // One file over the limit still makes a page of its own.
        let huge = vec![file(50_000), file(1)];
        assert_eq!(page_end(&huge, 0), (1, Some(1)));
        assert_eq!(page_end(&[], 0), (0, None));
    }
}
