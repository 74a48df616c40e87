//! Sessions in worktrees of their own, with real git repositories made in
//! temporary directories: tasks running side by side without seeing each
//! other's files, the change read as hunks, a review arriving as the next
//! turn, merges (and a conflicting one refused), a workspace without git,
//! and a kill -9 that leaves the worktree for the resume.

use crate::support::{fresh_postgres, sh, until_json, TestServer, Viewer};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tandem_shared::api::{Assistant, SessionSummary, Task};
use tandem_shared::changes::{Changes, LineKind, Worktree, WorktreeState};
use tandem_shared::{Seq, SessionId, SessionStatus};

/// The assistant's workspace made a git repository on `main` with one
/// commit of `src/app.txt`.
fn make_repository(server: &TestServer, assistant: &Assistant) -> PathBuf {
    let dir = PathBuf::from(&assistant.workspace);
    sh(
        &dir,
        "git init -q -b main && git config user.name Ana && git config user.email ana@example.com \
         && printf 'agent.log\\n.first-time-*\\n' > .gitignore && mkdir -p src \
         && printf 'alpha\\nbeta\\ngamma\\n' > src/app.txt && git add -A && git commit -qm start",
    );
    assert!(server.data_dir.exists());
    dir
}

async fn watch(server: &TestServer, session: &SessionId) -> Viewer {
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(session, Seq::ZERO).await;
    viewer
}

async fn changes(server: &TestServer, session: &SessionId) -> Changes {
    let (status, body) = server
        .get(&format!("/api/sessions/{session}/changes"))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("changes")
}

async fn worktrees(server: &TestServer, assistant: &Assistant) -> Vec<Worktree> {
    let (status, body) = server
        .get(&format!("/api/assistants/{}/worktrees", assistant.id))
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("worktrees")
}

async fn land(server: &TestServer, session: &SessionId, action: Value) -> (u16, Value) {
    server
        .post(&format!("/api/sessions/{session}/land"), action)
        .await
}

#[tokio::test]
async fn two_tasks_run_at_once_in_two_worktrees_and_neither_sees_the_other() {
    let server = TestServer::start().await;
    // Each run leaves a file named for its own worktree, waits long enough
    // for the other to have written its own, then lists what it sees.
    let builder = server
        .scripted_assistant(
            "builder",
            json!({"turns": [[
                {"do": "shell", "command": "touch \"made-in-$(basename \"$PWD\").txt\""},
                {"do": "sleep", "ms": 2500},
                {"do": "shell", "command": "ls | tr '\\n' ' '"}
            ]]}),
        )
        .await;
    let workspace = make_repository(&server, &builder);
    let mut tasks = Vec::new();
    for title in ["Write the parser", "Write the printer"] {
        let (status, body) = server
            .post(
                "/api/tasks",
                json!({"title": title, "body": "Go.", "assignee_id": builder.id}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let task: Task = serde_json::from_value(body).expect("task");
        assert_eq!(task.session_ids.len(), 1, "{title} started at once");
        tasks.push(task);
    }
    let ids: Vec<SessionId> = tasks.iter().map(|t| t.session_ids[0].clone()).collect();
    // Both run at the same moment.
    until_json(
        &server,
        &format!("/api/sessions?assistant_id={}", builder.id),
        "both sessions running at once",
        |body| {
            body.as_array().is_some_and(|list| {
                list.iter()
                    .filter(|s| s["status"] == "running" || s["status"] == "starting")
                    .count()
                    == 2
            })
        },
    )
    .await;
    let mut texts = Vec::new();
    for id in &ids {
        let mut viewer = watch(&server, id).await;
        assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
        texts.push(viewer.agent_text());
    }
    for (at, id) in ids.iter().enumerate() {
        let other = &ids[1 - at];
        let text = &texts[at];
        assert!(text.contains(&format!("made-in-{id}.txt")), "{text}");
        assert!(!text.contains(&format!("made-in-{other}.txt")), "{text}");
        assert!(
            text.contains("src"),
            "the repository's files are there: {text}"
        );
        let changes = changes(&server, id).await;
        let names: Vec<&str> = changes.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, [format!("made-in-{id}.txt")]);
        let worktree = changes.worktree.expect("a worktree");
        assert!(
            worktree.branch.starts_with("tandem/write-the-"),
            "{}",
            worktree.branch
        );
        assert!(worktree.branch.ends_with(id.as_str()));
        assert_eq!(worktree.base_branch, "main");
    }
    let listed = worktrees(&server, &builder).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|w| w.state == WorktreeState::Active));
    assert_ne!(listed[0].path, listed[1].path);
    assert!(listed
        .iter()
        .all(|w| Path::new(&w.path).starts_with(&server.data_dir)));
    // The workspace itself is untouched until something is merged.
    let status = sh(&workspace, "git status --porcelain");
    assert!(status.trim().is_empty(), "{status}");
    // The summaries name the branches; the tasks wait for review.
    let chat = until_json(
        &server,
        &format!("/api/assistants/{}/chat", builder.id),
        "two summaries naming branches",
        |body| {
            body.as_array().is_some_and(|list| {
                list.iter()
                    .filter(|m| {
                        m["text"]
                            .as_str()
                            .is_some_and(|t| t.contains("Branch `tandem/"))
                    })
                    .count()
                    == 2
            })
        },
    )
    .await;
    assert!(chat.to_string().contains("1 file changed, +0 −0"), "{chat}");
    for task in &tasks {
        until_json(
            &server,
            &format!("/api/tasks/{}", task.id),
            "the task in review",
            |b| b["status"] == "in_review",
        )
        .await;
    }
}

/// The reviewer's assistant: its first run in a worktree edits
/// `src/app.txt`; every later one says what it was sent and works a little.
fn editor() -> Value {
    json!({"turns": [[{"do": "first_time", "marker": "edited",
        "steps": [
            {"do": "shell", "command": "printf 'alpha\\nBETA\\ngamma\\ndelta\\n' > src/app.txt"},
            {"do": "mcp", "tool": "read_my_diff", "arguments": {}},
            {"do": "mcp", "tool": "propose_merge", "arguments": {"note": "Beta is louder now."}},
            {"do": "message", "text": "edited"}],
        "otherwise": [
            {"do": "echo_prompt"}, {"do": "sleep", "ms": 1500},
            {"do": "shell", "command": "printf 'alpha\\nBeta\\ngamma\\ndelta\\n' > src/app.txt"}]}]]})
}

async fn review_comment_and_merge(server: TestServer) {
    let assistant = server.scripted_assistant("editor", editor()).await;
    let workspace = make_repository(&server, &assistant);
    let session = server.start_session(&assistant, "Make beta louder").await;
    let mut viewer = watch(&server, &session.id).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    // The agent read its own diff and proposed merging it.
    let said = viewer.agent_text();
    assert!(
        said.contains("mcp read_my_diff: Branch tandem/make-beta-louder-"),
        "{said}"
    );
    assert!(said.contains("    2 +BETA\n"), "{said}");
    assert!(said.contains("mcp propose_merge: Proposed"), "{said}");
    let chat = until_json(
        &server,
        &format!("/api/assistants/{}/chat", assistant.id),
        "the proposal in the chat",
        |b| {
            b.to_string()
                .contains("I propose merging `tandem/make-beta-louder-")
        },
    )
    .await;
    assert!(chat.to_string().contains("Beta is louder now."));

    let seen = changes(&server, &session.id).await;
    assert!(seen
        .worktree
        .as_ref()
        .is_some_and(|w| w.proposed_at.is_some()));
    assert_eq!(seen.files.len(), 1);
    assert_eq!(seen.files[0].path, "src/app.txt");
    assert_eq!((seen.added, seen.removed), (2, 1));
    let lines = &seen.diffs[0].hunks[0].lines;
    let added: Vec<(Option<u32>, &str)> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Added)
        .map(|l| (l.new, l.text.as_str()))
        .collect();
    assert_eq!(added, [(Some(2), "BETA"), (Some(4), "delta")]);
    assert!(seen.tools.remote.is_none(), "no remote: push is absent");
    assert!(!seen.tools.pull_requests);

    // Bad reviews: lines outside the diff, a file it did not change, none.
    let review = |path: &str, start: u32, end: u32| json!({"comments": [{"path": path, "start_line": start, "end_line": end, "text": "Why?"}]});
    let path = format!("/api/sessions/{}/review", session.id);
    for (body, says) in [
        (review("src/app.txt", 9, 9), "not in the diff"),
        (review("README.md", 1, 1), "not among the files"),
        (review("src/app.txt", 3, 2), "not a range"),
        (json!({"comments": []}), "at least one"),
        (json!({"comments": [{"path": "src/app.txt"}]}), ""),
    ] {
        let (status, answer) = server.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(answer.to_string().contains(says), "{answer}");
    }

    // A comment on line 2 arrives as the next turn, quoting it.
    let (status, body) = server
        .post(
            &path,
            json!({"comments": [{"path": "src/app.txt", "start_line": 2, "end_line": 2,
                "text": "Why shout? Use Beta."}]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the review echoed", |v| {
            v.agent_text().contains("Use Beta.")
        })
        .await;
    let text = viewer.agent_text();
    assert!(text.contains("Review of your changes by"), "{text}");
    assert!(text.contains("`src/app.txt` line 2:"), "{text}");
    assert!(
        text.contains("2 +     BETA") || text.contains("2 + BETA"),
        "{text}"
    );
    assert!(text.contains("> Why shout? Use Beta."), "{text}");

    // Not while it runs.
    let (status, body) = land(&server, &session.id, json!({"action": "merge"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("running"), "{body}");
    viewer
        .until("the review's run ended", |v| {
            v.status().is_some_and(|s| !s.is_live()) && v.agent_text().contains("Use Beta.")
        })
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, body) = land(&server, &session.id, json!({"action": "merge"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("merged into main")),
        "{body}"
    );
    let merged = std::fs::read_to_string(workspace.join("src/app.txt")).expect("file");
    assert_eq!(
        merged, "alpha\nBeta\ngamma\ndelta\n",
        "the fix landed on main"
    );
    let worktree: Worktree = serde_json::from_value(body["worktree"].clone()).expect("worktree");
    assert_eq!(worktree.state, WorktreeState::Merged);
    assert!(
        !Path::new(&worktree.path).exists(),
        "the worktree is removed"
    );
    let branches = sh(&workspace, "git branch --list 'tandem/*'");
    assert!(branches.trim().is_empty(), "{branches}");
    // Merged is merged: no second merge, no follow-up in it.
    let (status, _) = land(&server, &session.id, json!({"action": "merge"})).await;
    assert_eq!(status, 409);
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "more"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("merged"), "{body}");
    let chat = until_json(
        &server,
        &format!("/api/assistants/{}/chat", assistant.id),
        "the merge said in the chat",
        |b| b.to_string().contains("merged into main"),
    )
    .await;
    assert!(chat.to_string().contains("Make beta louder"));

    // A conflicting change is refused with the file named; nothing moves.
    let second = server.start_session(&assistant, "Again").await;
    let mut second_viewer = watch(&server, &second.id).await;
    second_viewer.until_ended().await;
    sh(
        &workspace,
        "printf 'alpha\\nbeta from main\\ngamma\\ndelta\\n' > src/app.txt && git commit -qam theirs",
    );
    let (status, body) = land(&server, &second.id, json!({"action": "merge"})).await;
    assert_eq!(status, 409, "{body}");
    let said = body.to_string();
    assert!(
        said.contains("conflict") && said.contains("src/app.txt"),
        "{said}"
    );
    let kept = std::fs::read_to_string(workspace.join("src/app.txt")).expect("file");
    assert_eq!(kept, "alpha\nbeta from main\ngamma\ndelta\n");
    assert!(sh(&workspace, "git status --porcelain").trim().is_empty());
    // Discarding removes it all.
    let (status, body) = land(&server, &second.id, json!({"action": "discard"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(sh(&workspace, "git branch --list 'tandem/*'")
        .trim()
        .is_empty());
    // Bad land requests.
    let (status, _) = land(&server, &second.id, json!({"action": "rebase"})).await;
    assert_eq!(status, 400);

    // A repository in the middle of a rebase starts nothing.
    sh(&workspace, "mkdir -p .git/rebase-merge");
    let (status, body) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": assistant.id, "prompt": "go"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("in the middle of a rebase"),
        "{body}"
    );
}

#[tokio::test]
async fn a_review_becomes_the_next_turn_and_merge_lands_it_sqlite() {
    review_comment_and_merge(TestServer::start().await).await;
}

#[tokio::test]
async fn a_review_becomes_the_next_turn_and_merge_lands_it_postgres() {
    let url = fresh_postgres().await;
    review_comment_and_merge(TestServer::launch().database(url).start().await).await;
}

#[tokio::test]
async fn a_workspace_without_git_works_in_place_and_gathers_its_edits() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "plain",
            json!({"turns": [[
                {"do": "tool_call", "id": "e1", "title": "Edit notes.txt", "kind": "edit",
                 "diff": {"path": "notes.txt", "old": "one\ntwo\n", "new": "one\nTWO\n"}},
                {"do": "tool_update", "id": "e1", "status": "completed"},
                {"do": "shell", "command": "pwd"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "edit").await;
    let mut viewer = watch(&server, &session.id).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(
        viewer.agent_text().contains(&assistant.workspace),
        "it ran in the workspace itself: {}",
        viewer.agent_text()
    );
    let seen = changes(&server, &session.id).await;
    assert!(seen.worktree.is_none());
    assert_eq!(seen.files.len(), 1);
    assert_eq!(seen.files[0].path, "notes.txt");
    assert_eq!(seen.diffs[0].tool_call_id.as_deref(), Some("e1"));
    let (status, body) = land(&server, &session.id, json!({"action": "merge"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("no worktree"), "{body}");
    // A review of a tool-call edit arrives too.
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/review", session.id),
            json!({"comments": [{"path": "notes.txt", "start_line": 2, "end_line": 2, "text": "Lower case, please."}]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn kill_9_leaves_the_worktree_and_the_resume_continues_in_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut server = TestServer::launch().in_dir(tmp.path()).start().await;
    let assistant = server
        .scripted_assistant(
            "steady",
            json!({"turns": [[{"do": "first_time", "marker": "noted",
                "steps": [
                    {"do": "shell", "command": "echo first > notes.txt"},
                    {"do": "message", "text": "wrote notes"},
                    {"do": "work_until_cancel", "interval_ms": 100}],
                "otherwise": [{"do": "shell", "command": "cat notes.txt && pwd"}]}]]}),
        )
        .await;
    make_repository(&server, &assistant);
    let session: SessionSummary = server.start_session(&assistant, "take notes").await;
    let mut viewer = watch(&server, &session.id).await;
    viewer
        .until("the notes written", |v| {
            v.agent_text().contains("wrote notes")
        })
        .await;
    let before = changes(&server, &session.id).await;
    let worktree = before.worktree.expect("a worktree");
    server.kill().await;
    drop(viewer);

    let server = TestServer::launch().in_dir(tmp.path()).start().await;
    let notes = Path::new(&worktree.path).join("notes.txt");
    assert_eq!(
        std::fs::read_to_string(&notes).expect("the worktree is intact"),
        "first\n"
    );
    let (_, summary) = server.get(&format!("/api/sessions/{}", session.id)).await;
    assert_eq!(summary["status"], "interrupted");
    let mut viewer = watch(&server, &session.id).await;
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "carry on"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the resumed run read its notes", |v| {
            v.agent_text()
                .contains(&format!("first\n{}", worktree.path))
        })
        .await;
    let after = changes(&server, &session.id).await;
    assert_eq!(after.files.len(), 1, "{:?}", after.files);
    assert_eq!(after.files[0].path, "notes.txt");
}

#[tokio::test]
async fn push_sends_the_branch_to_the_remote_and_absent_tools_say_so() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "pusher",
            json!({"turns": [[{"do": "shell", "command": "echo pushed > pushed.txt"}]]}),
        )
        .await;
    let workspace = make_repository(&server, &assistant);
    let remote = server.data_dir.join("remote.git");
    sh(
        &server.data_dir,
        &format!("git init -q --bare {}", remote.display()),
    );
    sh(
        &workspace,
        &format!("git remote add origin {}", remote.display()),
    );
    let session = server.start_session(&assistant, "Push it").await;
    watch(&server, &session.id).await.until_ended().await;
    let seen = changes(&server, &session.id).await;
    assert_eq!(seen.tools.remote.as_deref(), Some("origin"));
    let (status, body) = land(&server, &session.id, json!({"action": "push"})).await;
    assert_eq!(status, 200, "{body}");
    let branch = seen.worktree.expect("worktree").branch;
    let on_remote = sh(&remote, "git branch --list 'tandem/*'");
    assert!(on_remote.contains(&branch), "{on_remote}");
    let file = sh(&remote, &format!("git show {branch}:pushed.txt"));
    assert_eq!(file, "pushed\n", "the uncommitted work went with it");
    // Pushing leaves the change in review: still active.
    let after = changes(&server, &session.id).await;
    assert_eq!(after.worktree.map(|w| w.state), Some(WorktreeState::Active));
    // Without the gh CLI, a pull request is absent, said as such.
    let gh = std::process::Command::new("sh")
        .args(["-c", "command -v gh"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !gh {
        assert!(!after.tools.pull_requests);
        assert!(
            after
                .tools
                .pull_requests_absent
                .as_deref()
                .is_some_and(|why| why.contains("gh CLI is not installed")),
            "{:?}",
            after.tools
        );
        let (status, body) = land(&server, &session.id, json!({"action": "pull_request"})).await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.to_string().contains("gh CLI is not installed"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn session_settings_out_of_range_are_refused_and_nothing_changes() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "settled",
            json!({"turns": [[{"do": "message", "text": "ok"}]]}),
        )
        .await;
    assert!(assistant.sessions.worktrees);
    assert_eq!(assistant.sessions.max_parallel, 3);
    let path = format!("/api/assistants/{}", assistant.id);
    for bad in [
        json!({"sessions": {"worktrees": true, "max_parallel": 0}}),
        json!({"sessions": {"worktrees": true, "max_parallel": 11}}),
        json!({"sessions": {"worktrees": "yes", "max_parallel": 2}}),
        json!({"sessions": {"worktrees": true, "max_parallel": -1}}),
    ] {
        let (status, body) = server.patch(&path, bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }
    let (_, kept) = server.get(&path).await;
    assert_eq!(
        kept["sessions"],
        json!({"worktrees": true, "max_parallel": 3})
    );
    let (status, body) = server
        .patch(
            &path,
            json!({"sessions": {"worktrees": false, "max_parallel": 1}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["sessions"],
        json!({"worktrees": false, "max_parallel": 1})
    );
}
