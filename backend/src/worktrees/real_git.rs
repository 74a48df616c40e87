//! Real `git` in temporary directories: a worktree is made, read, and
//! landed as a person would land it.

use super::*;
use std::path::Path;
use tandem_shared::changes::{Land, LineKind, MergeHow, WorktreeState};
use tandem_shared::{AssistantId, SessionId};

fn sh(dir: &Path, script: &str) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ana")
        .env("GIT_AUTHOR_EMAIL", "ana@example.com")
        .env("GIT_COMMITTER_NAME", "Ana")
        .env("GIT_COMMITTER_EMAIL", "ana@example.com")
        .status();
    assert!(status.is_ok_and(|s| s.success()), "{script}");
}

fn repo_with_a_file() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("temp dir");
    };
    let repo = dir.path().join("repo");
    let data = dir.path().join("data");
    let _ = std::fs::create_dir_all(&repo);
    let _ = std::fs::create_dir_all(&data);
    sh(
        &repo,
        "git init -q -b main && git config user.email ana@example.com && git config user.name Ana \
         && printf 'one\\ntwo\\nthree\\n' > a.txt && git add a.txt && git commit -qm first",
    );
    let repo = repo.canonicalize().unwrap_or(repo);
    (dir, repo, data)
}

async fn placed(repo: &Path, data: &Path, id: &str) -> tandem_shared::changes::Worktree {
    let placed = place(
        repo,
        data,
        &SessionId(id.into()),
        &AssistantId("ast_1".into()),
        "Fix the thing",
        1,
    )
    .await;
    match placed {
        Ok(Placed::Worktree(worktree)) => *worktree,
        Ok(Placed::InPlace(why)) => panic!("in place: {why:?}"),
        Err(error) => panic!("{error}"),
    }
}

fn landing(worktree: &tandem_shared::changes::Worktree) -> Landing<'_> {
    Landing {
        worktree,
        title: "Fix the thing",
        assistant: "Robin",
        body: "",
    }
}

#[tokio::test]
async fn a_worktree_is_read_uncommitted_and_merged_fast_forward() {
    let (_dir, repo, data) = repo_with_a_file();
    let worktree = placed(&repo, &data, "ses_a").await;
    assert_eq!(worktree.branch, "tandem/fix-the-thing-ses_a");
    assert_eq!(worktree.base_branch, "main");
    let top = Path::new(&worktree.path);
    assert!(top.join("a.txt").exists());
    // Uncommitted edits and a new file, as an agent leaves them.
    sh(
        top,
        "printf 'one\\nTWO\\nthree\\n' > a.txt && echo new > b.txt",
    );
    let Ok((files, diffs, next)) = changes_of(&worktree, 0).await else {
        panic!("changes");
    };
    assert_eq!(next, None);
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["a.txt", "b.txt"]);
    assert_eq!((files[0].added, files[0].removed), (1, 1));
    let added: Vec<(Option<u32>, &str)> = diffs[0].hunks[0]
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Added)
        .map(|l| (l.new, l.text.as_str()))
        .collect();
    assert_eq!(added, [(Some(2), "TWO")]);
    // The agent's own index is untouched by reading.
    let Ok(status) = git::run(top, &["diff", "--cached", "--name-only"]).await else {
        panic!("status");
    };
    assert!(status.stdout.trim().is_empty(), "{}", status.stdout);
    let Ok(landed) = land(
        &landing(&worktree),
        Land::Merge {
            how: MergeHow::Auto,
        },
    )
    .await
    else {
        panic!("merge");
    };
    assert_eq!(landed.state, WorktreeState::Merged);
    assert!(
        landed.outcome.contains("fast-forward"),
        "{}",
        landed.outcome
    );
    // main is checked out in the workspace: its files follow.
    let merged = std::fs::read_to_string(repo.join("a.txt")).unwrap_or_default();
    assert_eq!(merged, "one\nTWO\nthree\n");
    assert!(repo.join("b.txt").exists());
    assert!(!top.exists(), "the worktree is removed");
}

#[tokio::test]
async fn a_file_rewritten_to_the_same_size_at_once_is_still_seen() {
    let (_dir, repo, data) = repo_with_a_file();
    let worktree = placed(&repo, &data, "ses_r").await;
    // Same size as "one\ntwo\nthree\n", written within the checkout's second.
    sh(
        Path::new(&worktree.path),
        "printf 'one\\nTWO\\nthree\\n' > a.txt",
    );
    // Read in a later second than the index was written.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let Ok((files, _, _)) = changes_of(&worktree, 0).await else {
        panic!("changes");
    };
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!((files[0].added, files[0].removed), (1, 1));
}

#[tokio::test]
async fn a_conflicting_merge_is_refused_with_the_files_named_and_nothing_touched() {
    let (_dir, repo, data) = repo_with_a_file();
    let worktree = placed(&repo, &data, "ses_b").await;
    sh(
        Path::new(&worktree.path),
        "printf 'one\\nmine\\nthree\\n' > a.txt",
    );
    sh(
        &repo,
        "printf 'one\\ntheirs\\nthree\\n' > a.txt && git commit -qam theirs",
    );
    let refused = land(
        &landing(&worktree),
        Land::Merge {
            how: MergeHow::Auto,
        },
    )
    .await;
    assert_eq!(refused, Err(WorktreeError::Conflict(vec!["a.txt".into()])));
    let kept = std::fs::read_to_string(repo.join("a.txt")).unwrap_or_default();
    assert_eq!(kept, "one\ntheirs\nthree\n");
    assert!(
        Path::new(&worktree.path).exists(),
        "the worktree stays for a fix"
    );
    assert!(repo::open(&repo)
        .await
        .ok()
        .flatten()
        .and_then(|r| r.busy())
        .is_none());
}

#[tokio::test]
async fn a_moved_base_gets_a_merge_commit_or_refuses_a_fast_forward() {
    let (_dir, repo, data) = repo_with_a_file();
    let worktree = placed(&repo, &data, "ses_c").await;
    sh(Path::new(&worktree.path), "echo mine > mine.txt");
    sh(
        &repo,
        "echo theirs > theirs.txt && git add theirs.txt && git commit -qm theirs",
    );
    let ff = land(
        &landing(&worktree),
        Land::Merge {
            how: MergeHow::FastForward,
        },
    )
    .await;
    assert!(matches!(ff, Err(WorktreeError::Refused(_))), "{ff:?}");
    let Ok(landed) = land(
        &landing(&worktree),
        Land::Merge {
            how: MergeHow::Auto,
        },
    )
    .await
    else {
        panic!("merge");
    };
    assert!(
        landed.outcome.contains("merge commit"),
        "{}",
        landed.outcome
    );
    assert!(repo.join("mine.txt").exists() && repo.join("theirs.txt").exists());
}

#[tokio::test]
async fn a_repository_mid_rebase_or_detached_gets_no_worktree() {
    let (_dir, repo, data) = repo_with_a_file();
    sh(&repo, "mkdir -p .git/rebase-merge");
    let busy = place(
        &repo,
        &data,
        &SessionId("ses_d".into()),
        &AssistantId("a".into()),
        "t",
        1,
    )
    .await;
    assert!(matches!(
        busy,
        Err(WorktreeError::Busy {
            what: "a rebase",
            ..
        })
    ));
    sh(&repo, "rmdir .git/rebase-merge && git checkout -q --detach");
    let detached = place(
        &repo,
        &data,
        &SessionId("ses_d".into()),
        &AssistantId("a".into()),
        "t",
        1,
    )
    .await;
    assert!(matches!(detached, Err(WorktreeError::Detached(_))));
    let plain = tempfile::tempdir().ok();
    if let Some(plain) = plain {
        let in_place = place(
            plain.path(),
            &data,
            &SessionId("ses_e".into()),
            &AssistantId("a".into()),
            "t",
            1,
        )
        .await;
        assert!(matches!(in_place, Ok(Placed::InPlace(None))));
    }
}

#[tokio::test]
async fn a_kept_branch_comes_back_as_a_worktree_and_discard_removes_it() {
    let (_dir, repo, data) = repo_with_a_file();
    let mut worktree = placed(&repo, &data, "ses_f").await;
    sh(Path::new(&worktree.path), "echo kept > kept.txt");
    let Ok(kept) = land(&landing(&worktree), Land::Keep).await else {
        panic!("keep");
    };
    assert_eq!(kept.state, WorktreeState::Kept);
    assert!(!Path::new(&worktree.path).exists());
    worktree.state = kept.state;
    let Ok(dir) = ready(&worktree, &repo).await else {
        panic!("ready");
    };
    assert!(dir.join("kept.txt").exists(), "the branch's work is back");
    let Ok(discarded) = land(&landing(&worktree), Land::Discard).await else {
        panic!("discard");
    };
    assert_eq!(discarded.state, WorktreeState::Discarded);
    let branch = git::run(&repo, &["branch", "--list", "tandem/*"]).await;
    assert!(branch.is_ok_and(|b| b.stdout.trim().is_empty()));
    let pushed = land(&landing(&worktree), Land::Push).await;
    assert!(matches!(
        pushed,
        Err(WorktreeError::Absent(_)) | Err(WorktreeError::Landed(_))
    ));
}
