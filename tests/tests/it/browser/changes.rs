//! A session's Changes tab in a browser: the hunks appear and grow while
//! the agent writes, a comment on a line is sent as a review, and the
//! change is merged from the tab; on a desktop (side by side) and a phone
//! (unified).

use super::{Browser, PHONE_SIZE};
use crate::support::{sh, TestServer, Viewer};
use fantoccini::Locator;
use serde_json::json;
use std::path::PathBuf;
use tandem_shared::{Seq, SessionStatus};

/// Clicks the line number on `side` ("old" or "new") of the first diff
/// line showing `text`, in either layout.
async fn pick_line(browser: &Browser, text: &str, side: &str) {
    let clicked = browser
        .client
        .execute(
            "const [text, side] = arguments;
             const rows = [...document.querySelectorAll('[data-testid=hunk-row], [data-testid=hunk-line]')];
             const row = rows.find(r => r.textContent.includes(text));
             if (!row) return false;
             let button;
             if (row.dataset.testid === 'hunk-row') {
               button = row.querySelectorAll('.diff-half')[side === 'new' ? 1 : 0].querySelector('button');
             } else {
               button = row.querySelectorAll('.diff-no')[side === 'new' ? 1 : 0];
             }
             if (!button || button.tagName !== 'BUTTON') return false;
             button.click();
             return true;",
            vec![json!(text), json!(side)],
        )
        .await
        .expect("pick a line");
    assert_eq!(clicked, json!(true), "a line number beside {text}");
}

#[tokio::test]
async fn the_changes_tab_shows_hunks_live_takes_a_review_and_merges() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "editor",
            json!({"turns": [[{"do": "first_time", "marker": "edited",
                "steps": [
                    {"do": "shell", "command": "printf 'alpha\\nBETA\\ngamma\\n' > src/app.txt"},
                    {"do": "message", "text": "first edit"},
                    // Works on for six seconds (never silent for long: a
                    // silent agent would be taken for hung).
                    {"do": "stream", "count": 30, "interval_ms": 200},
                    {"do": "shell", "command": "printf 'hello\\n' > src/new.txt"},
                    {"do": "message", "text": "second edit"},
                    {"do": "sleep", "ms": 500}],
                "otherwise": [{"do": "echo_prompt"}]}]]}),
        )
        .await;
    let workspace = PathBuf::from(&assistant.workspace);
    sh(
        &workspace,
        "git init -q -b main && git config user.name Ana && git config user.email ana@example.com \
         && printf 'agent.log\\n.first-time-*\\n' > .gitignore && mkdir -p src \
         && printf 'alpha\\nbeta\\ngamma\\n' > src/app.txt && git add -A && git commit -qm start",
    );
    let session = server.start_session(&assistant, "Shout beta").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;

    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser
        .client
        .goto(&format!("{}/#/sessions/{}/changes", server.url, session.id))
        .await
        .expect("open changes");
    browser
        .until_text("[data-testid=changes-branch]", "tandem/shout-beta-")
        .await;
    browser.until_text("[data-testid=file-diff]", "BETA").await;
    // Side by side on a wide screen: the old line beside the new.
    let rows = browser
        .client
        .find_all(Locator::Css("[data-testid=hunk-row]"))
        .await
        .expect("rows");
    assert!(!rows.is_empty(), "side by side rows");
    // The agent writes on: the tab follows without a reload.
    browser
        .until_text("[data-testid=changes-stat]", "2 files changed")
        .await;
    browser
        .until_text("[data-testid=change-files]", "src/new.txt")
        .await;
    browser.screenshot("changes-desktop").await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    // The tab reads the diff again after the session's last events (up to
    // 1.2 s later), redrawing the files: let that pass before commenting.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    // A comment on the BETA line, sent as a review.
    pick_line(&browser, "BETA", "new").await;
    browser
        .type_into(
            "[data-testid=comment-text]",
            "Why shout? Keep it lower case.",
        )
        .await;
    browser.screenshot("changes-desktop-comment").await;
    browser.scroll_to("[data-testid=add-comment]").await;
    browser.click("[data-testid=add-comment]").await;
    browser
        .until_text("[data-testid=review-bar]", "Send review (1)")
        .await;
    browser.screenshot("changes-desktop-review").await;
    browser.click("[data-testid=send-review]").await;
    viewer
        .until("the review echoed", |v| {
            v.agent_text().contains("Keep it lower case.")
        })
        .await;
    assert!(viewer.agent_text().contains("`src/app.txt` line 2:"));
    viewer
        .until("the review's run ended", |v| {
            v.status().is_some_and(|s| !s.is_live())
        })
        .await;

    // Merged from the tab.
    browser.click("[data-testid=merge]").await;
    browser
        .until_text("[data-testid=changes-outcome]", "merged into main")
        .await;
    browser.screenshot("changes-desktop-merged").await;
    let merged = std::fs::read_to_string(workspace.join("src/app.txt")).expect("merged");
    assert_eq!(merged, "alpha\nBETA\ngamma\n");
    assert!(workspace.join("src/new.txt").exists());

    // The assistant's profile lists its worktrees and sets how many of its
    // sessions run at once.
    browser
        .client
        .goto(&format!("{}/#/assistants/{}", server.url, assistant.id))
        .await
        .expect("open the assistant");
    browser.click("[data-testid=tab-profile]").await;
    browser
        .until_text("[data-testid=worktrees-list]", "merged into main")
        .await;
    browser.scroll_to("[data-testid=session-settings]").await;
    let parallel = browser
        .client
        .find(Locator::Css("[data-testid=max-parallel]"))
        .await
        .expect("max parallel");
    parallel.clear().await.expect("clear");
    parallel.send_keys("5").await.expect("type");
    browser.screenshot("assistant-sessions-settings").await;
    browser.click("[data-testid=save-profile]").await;
    crate::support::until_json(
        &server,
        &format!("/api/assistants/{}", assistant.id),
        "five sessions at once",
        |b| b["sessions"]["max_parallel"] == 5,
    )
    .await;
    browser.close().await;

    // On a phone: unified, the tabs reachable. Main says beta again, so
    // the next session has something to change.
    sh(
        &workspace,
        "printf 'alpha\\nbeta\\ngamma\\n' > src/app.txt && git commit -qam back",
    );
    let (status, body) = server
        .post(
            "/api/tasks",
            json!({"title": "Again", "body": "Shout.", "assignee_id": assistant.id}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let second = body["session_ids"][0]
        .as_str()
        .expect("its session")
        .to_owned();
    let mut second_viewer = Viewer::connect(&server).await;
    second_viewer
        .subscribe(&tandem_shared::SessionId(second.clone()), Seq::ZERO)
        .await;
    assert_eq!(second_viewer.until_ended().await, SessionStatus::Completed);
    crate::support::until_json(
        &server,
        &format!("/api/tasks/{}", body["id"].as_str().unwrap_or_default()),
        "the task in review",
        |b| b["status"] == "in_review",
    )
    .await;
    let phone = Browser::logged_in(&server, PHONE_SIZE.0, PHONE_SIZE.1).await;
    // The task in review links to what to review.
    phone
        .client
        .goto(&format!("{}/#/tasks", server.url))
        .await
        .expect("open tasks");
    phone.click("[data-testid=task-changes]").await;
    phone.until_text("[data-testid=file-diff]", "BETA").await;
    let lines = phone
        .client
        .find_all(Locator::Css("[data-testid=hunk-line]"))
        .await
        .expect("lines");
    assert!(!lines.is_empty(), "unified lines on a phone");
    phone.screenshot("changes-phone").await;
    // The tabs switch both ways.
    phone.click("[data-testid=tab-transcript]").await;
    phone
        .until_text("[data-testid=session-view]", "Shout.")
        .await;
    phone.click("[data-testid=tab-changes]").await;
    phone.until_text("[data-testid=file-diff]", "BETA").await;
    phone.close().await;
}
