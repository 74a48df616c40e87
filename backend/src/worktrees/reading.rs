//! A worktree's change as files and hunks: everything in the worktree now
//! (committed or not, new files too, ignored ones not) against the commit
//! it was made at. The snapshot goes through an index of its own, so the
//! agent's index and any git command it runs meanwhile are left alone.

use super::git::{self, GitError};
use super::unified;
use super::WorktreeError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tandem_shared::changes::{page_end, FileChange, FileDiff, LINES_PER_PAGE};

/// A file with more changed lines than this is named with its counts, its
/// hunks not read (a generated file would fill the page and the server).
const MAX_LINES_READ: u32 = 20_000;

/// The diff's two sides as git objects.
struct Sides {
    repo: PathBuf,
    base: String,
    tip: String,
}

/// One page of the change: every file with its counts, the hunks of the
/// files from `first_file` on, and where the next page starts.
pub async fn changes_of(
    worktree: &tandem_shared::changes::Worktree,
    first_file: usize,
) -> Result<(Vec<FileChange>, Vec<FileDiff>, Option<usize>), WorktreeError> {
    let sides = sides(worktree).await?;
    let files = list(&sides).await?;
    let (end, next) = page_end(&files, first_file);
    let page: Vec<FileChange> = files
        .iter()
        .skip(first_file)
        .take(end.saturating_sub(first_file))
        .cloned()
        .collect();
    let diffs = hunks_of(&sides, &page).await?;
    Ok((files, diffs, next))
}

/// The hunks of the named files of the change, by path, from one
/// snapshot (a review's comments are checked against them); a file the
/// change did not touch is absent.
pub async fn file_diffs(
    worktree: &tandem_shared::changes::Worktree,
    paths: &[&str],
) -> Result<HashMap<String, FileDiff>, WorktreeError> {
    let sides = sides(worktree).await?;
    let files: Vec<FileChange> = list(&sides)
        .await?
        .into_iter()
        .filter(|f| paths.contains(&f.path.as_str()))
        .collect();
    let diffs = hunks_of(&sides, &files).await?;
    Ok(diffs.into_iter().map(|d| (d.path.clone(), d)).collect())
}

async fn sides(worktree: &tandem_shared::changes::Worktree) -> Result<Sides, WorktreeError> {
    let top = Path::new(&worktree.path);
    let repo = PathBuf::from(&worktree.repo);
    let tip = if top.join(".git").exists() {
        snapshot(top).await?
    } else if let Some(head) = &worktree.head_commit {
        head.clone()
    } else {
        let branch = format!("refs/heads/{}", worktree.branch);
        git::run(&repo, &["rev-parse", "-q", "--verify", &branch])
            .await
            .map(|output| output.line())
            .map_err(|_| {
                WorktreeError::Gone(format!(
                    "the worktree and the branch {} are gone",
                    worktree.branch
                ))
            })?
    };
    Ok(Sides {
        repo,
        base: worktree.base_commit.clone(),
        tip,
    })
}

/// A tree of everything in the worktree now, through a copy of its index.
async fn snapshot(top: &Path) -> Result<String, WorktreeError> {
    let real_index = git::run(
        top,
        &["rev-parse", "--path-format=absolute", "--git-path", "index"],
    )
    .await?
    .line();
    let temp = std::env::temp_dir().join(format!(
        "tandem-index-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    // A copy keeps the stat data: unchanged files are not read again. It
    // keeps the index's own time too, or git would trust the stat data of
    // a file rewritten (same size) within the second it was checked out.
    if copy_with_time(Path::new(&real_index), &temp).is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    let index = temp.display().to_string();
    let env = [("GIT_INDEX_FILE", index.as_str())];
    let timeout = std::time::Duration::from_secs(60);
    let result = async {
        git::run_with(top, &["add", "-A", "--", "."], &env, timeout).await?;
        git::run_with(top, &["write-tree"], &env, timeout).await
    }
    .await;
    let _ = std::fs::remove_file(&temp);
    Ok(result?.line())
}

fn copy_with_time(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    let modified = std::fs::metadata(from)?.modified()?;
    std::fs::File::options()
        .write(true)
        .open(to)?
        .set_modified(modified)
}

async fn list(sides: &Sides) -> Result<Vec<FileChange>, GitError> {
    let diff = |format: &'static str| async move {
        git::run(
            &sides.repo,
            &["diff", "-z", "-M", format, &sides.base, &sides.tip],
        )
        .await
    };
    let name_status = diff("--name-status").await?;
    let numstat = diff("--numstat").await?;
    Ok(unified::files(&name_status.stdout, &numstat.stdout))
}

async fn hunks_of(sides: &Sides, page: &[FileChange]) -> Result<Vec<FileDiff>, WorktreeError> {
    let readable: Vec<&FileChange> = page
        .iter()
        .filter(|f| !f.binary && f.added + f.removed <= MAX_LINES_READ)
        .collect();
    let mut found = if readable.is_empty() {
        Default::default()
    } else {
        let mut args: Vec<String> = [
            "diff",
            "-M",
            "--no-ext-diff",
            "--no-textconv",
            "-U3",
            &sides.base,
            &sides.tip,
            "--",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for file in &readable {
            args.push(format!(":(literal){}", file.path));
            if let Some(old) = &file.old_path {
                args.push(format!(":(literal){old}"));
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let patch = git::run(&sides.repo, &args).await?;
        unified::hunks(&patch.stdout, LINES_PER_PAGE)
    };
    Ok(page
        .iter()
        .map(|file| {
            let mut diff = found
                .remove(&file.path)
                .unwrap_or_else(|| empty(&file.path));
            if !file.binary && file.added + file.removed > MAX_LINES_READ {
                diff.truncated = true;
            }
            diff
        })
        .collect())
}

fn empty(path: &str) -> FileDiff {
    FileDiff {
        path: path.to_owned(),
        hunks: Vec::new(),
        truncated: false,
        tool_call_id: None,
    }
}
