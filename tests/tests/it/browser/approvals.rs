//! Approvals in the browser: allowed, denied, shared between members, and decided.

use super::*;

#[tokio::test]
async fn a_person_runs_a_command_approves_it_and_sees_it_complete() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser
        .type_into("[data-testid=new-prompt]", "echo hello > hello.txt")
        .await;
    browser.screenshot("desktop-new-session").await;
    browser.click("[data-testid=start-session]").await;
    browser
        .until_text("[data-testid=approval-card]", "Permission")
        .await;
    browser
        .until_text("[data-testid=session-item]", "Waiting for approval")
        .await;
    browser
        .until_text("[data-testid=approvals-badge]", "1 waiting")
        .await;
    browser.screenshot("desktop-approval").await;
    browser
        .click("[data-testid=approval-option][data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Allow once")
        .await;
    browser
        .until_text("[data-testid=entry-agent]", "exited with status 0")
        .await;
    browser
        .until_text("[data-testid=session-item]", "Completed")
        .await;
    browser.screenshot("desktop-completed").await;
    let written = std::fs::read_to_string(std::path::Path::new(&demo.workspace).join("hello.txt"))
        .expect("hello.txt exists in the demo workspace");
    assert_eq!(written, "hello\n");

    // A follow-up from the composer resumes the ended session.
    browser
        .type_into("[data-testid=composer]", "cat hello.txt\n")
        .await;
    browser
        .until_text("[data-testid=entry-user]", "cat hello.txt")
        .await;
    browser
        .click(".approval.pending [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=tool-output]", "hello")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_denied_approval_does_not_run_the_command() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, "touch denied.txt").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .click("[data-testid=approval-option][data-option=reject]")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Reject")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=entry-agent]", "was rejected")
        .await;
    let failed = browser
        .client
        .find(Locator::Css(
            "[data-testid=entry-tool][data-tool-status=failed]",
        ))
        .await;
    assert!(failed.is_ok(), "the rejected tool call shows as failed");
    assert!(!std::path::Path::new(&demo.workspace)
        .join("denied.txt")
        .exists());
    browser.screenshot("desktop-denied").await;
    browser.close().await;
}

#[tokio::test]
async fn two_members_share_an_approval_a_stranger_sees_nothing_and_a_link_dies_on_revoke() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let bob = server.person("bob").await;
    let _carol = server.person("carol").await;
    let assistant = server
        .scripted_assistant(
            "Pair",
            json!({"turns": [[
                {"do": "message", "text": "<script>window.__owned = 1</script><img src=x onerror=\"window.__owned = 2\"> [click](javascript:window.__owned=3)"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"},
                {"do": "message", "text": "Deployed **staging**:\n\n- ran `make deploy`\n- see [the log](https://ci.example/1)\n\n```sh\nmake deploy\n```"}
            ]]}),
        )
        .await;
    for person in [&alice, &bob] {
        let (status, _) = server
            .post(
                &format!("/api/assistants/{}/members", assistant.id),
                json!({"user_id": person.id}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let session = server.start_session(&assistant, "deploy").await;
    let session_url = format!("{}/#/sessions/{}", server.url, session.id);

    let alice_browser = Browser::open(1280, 860).await;
    alice_browser
        .log_in(&server, "alice", "alice-password")
        .await;
    let bob_browser = Browser::open(1280, 860).await;
    bob_browser.log_in(&server, "bob", "bob-password").await;
    for browser in [&alice_browser, &bob_browser] {
        browser
            .client
            .goto(&session_url)
            .await
            .expect("open session");
        browser
            .until_text("[data-testid=approval-card]", "Deploy to staging")
            .await;
        browser
            .until_text("[data-testid=approvals-badge]", "1 waiting")
            .await;
    }
    alice_browser
        .screenshot("desktop-approval-two-people")
        .await;
    bob_browser
        .click("[data-testid=approval-option][data-option=yes]")
        .await;
    alice_browser
        .until_text("[data-testid=approval-verdict]", "by bob")
        .await;
    alice_browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    // Transcript text is text: nothing in it ran.
    let owned = alice_browser
        .client
        .execute("return window.__owned === undefined", vec![])
        .await
        .expect("script");
    assert_eq!(owned, json!(true), "agent text must never run as HTML");
    // Markdown becomes structure, and no link can run code.
    let shape = alice_browser
        .client
        .execute(
            "const agent = [...document.querySelectorAll('[data-testid=entry-agent]')]; \
             return [agent.some(e => e.querySelector('strong')), \
                     agent.some(e => e.querySelector('li code')), \
                     agent.some(e => e.querySelector('pre code')), \
                     agent.some(e => e.querySelector('a[href=\"https://ci.example/1\"]')), \
                     document.querySelectorAll('a[href^=javascript], img, script[src]').length];",
            vec![],
        )
        .await
        .expect("markdown shape");
    assert_eq!(shape, json!([true, true, true, true, 0]), "{shape}");
    alice_browser.screenshot("desktop-markdown").await;
    assert!(alice_browser
        .texts("[data-testid=entry-agent]")
        .await
        .iter()
        .any(|t| t.contains("<script>")));
    alice_browser.close().await;
    bob_browser.close().await;

    // A person who is not a member sees neither the session nor the assistant.
    let carol_browser = Browser::open(1280, 860).await;
    carol_browser
        .log_in(&server, "carol", "carol-password")
        .await;
    assert!(carol_browser
        .texts("[data-testid=session-item]")
        .await
        .is_empty());
    assert!(carol_browser
        .texts("[data-testid=assistant-item]")
        .await
        .iter()
        .all(|name| !name.contains("Pair")));
    carol_browser.client.goto(&session_url).await.expect("open");
    carol_browser
        .until_text(".banner-error", "no session with that id")
        .await;
    assert!(carol_browser
        .texts("[data-testid=entry-agent]")
        .await
        .is_empty());
    carol_browser.screenshot("desktop-not-a-member").await;
    carol_browser.close().await;

    // The admin shares a second, live session; a stranger watches it
    // read-only until the link is revoked.
    let live = server.start_session(&assistant, "deploy again").await;
    let admin = Browser::logged_in(&server, 1280, 860).await;
    admin.open_session(&server, &live.id).await;
    admin.click("[data-testid=share]").await;
    admin.click("[data-testid=share-create]").await;
    admin.until_text("[data-testid=share-url]", "/s/").await;
    let link = admin.texts("[data-testid=share-url]").await.remove(0);
    admin.screenshot("desktop-share-panel").await;
    let stranger = Browser::open(1280, 860).await;
    stranger.client.goto(&link).await.expect("open link");
    stranger
        .until_text("[data-testid=approval-card]", "Waiting for a decision")
        .await;
    assert!(
        stranger
            .texts("[data-testid=approval-option]")
            .await
            .is_empty(),
        "no controls on a shared page"
    );
    assert!(stranger.texts("[data-testid=composer]").await.is_empty());
    assert!(stranger.texts("[data-testid=stop]").await.is_empty());
    assert!(stranger.texts(".sidebar").await.is_empty(), "no navigation");
    stranger.screenshot("desktop-share-page").await;
    admin
        .click("[data-testid=approval-option][data-option=yes]")
        .await;
    stranger
        .until_text("[data-testid=entry-agent]", "Deployed staging")
        .await;
    // Settings lists every live link; revoking there ends the page at once.
    admin.click("[data-testid=settings-link]").await;
    admin
        .until_text("[data-testid=all-share-links]", "by admin")
        .await;
    admin.screenshot("desktop-settings-share-links").await;
    admin.click("[data-testid=all-share-revoke]").await;
    stranger
        .until_text("[data-testid=share-gone]", "revoked")
        .await;
    stranger.screenshot("desktop-share-revoked").await;
    stranger.close().await;
    admin.close().await;
}

#[tokio::test]
async fn a_decided_approval_replaces_its_buttons_and_keeps_its_tool_card() {
    // A permission request makes two entries with one seq (the tool call
    // and the approval): each must stay one row through the decision.
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "message", "text": "first"},
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                {"do": "message", "text": "Deployed **staging**:\n\n- ran `x`"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy")
        .await;
    let (_, pending) = server.get("/api/approvals").await;
    let approval = pending[0]["approval_id"]
        .as_str()
        .expect("one pending approval")
        .to_owned();
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "yes"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    let rows = browser
        .client
        .execute(
            "const t = document.querySelector('.transcript'); return [ \
             t.querySelectorAll('[data-testid=approval-card]').length, \
             t.querySelectorAll('[data-testid=approval-option]').length, \
             t.querySelectorAll('[data-testid=entry-tool]').length, \
             t.querySelectorAll('[data-testid=entry-status]').length];",
            vec![],
        )
        .await
        .expect("rows");
    assert_eq!(
        rows,
        json!([1, 0, 1, 1]),
        "approval, buttons, tool, status rows"
    );
    browser
        .until_text("[data-testid=approval-verdict]", "Allow once by admin")
        .await;
    browser.close().await;
}

/// An approval shows what it would allow: the lines an edit changes (the
/// diff came with the tool's announcement, as Claude sends it; the request
/// names only the call) and the command a shell call runs (an argv in
/// `rawInput`, as Codex sends it, before announcing the call, with its
/// reason and internal notes), and a long option name stays one line.
/// The edit is allowed by the default rule, and its card keeps the diff.
#[tokio::test]
async fn an_approval_shows_the_change_and_the_command_it_asks_for() {
    let server = TestServer::start().await;
    let long_name = "Yes, and don't ask again for commands that start with `touch made` in this workspace for the rest of this session";
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "tool_call", "id": "e1", "title": "Edit notes.txt", "kind": "edit",
                 "diff": {"path": "notes.txt", "old": "one\ntwo\nthree\nfour\nfive\n", "new": "one\ntwo\n3\nfour\nfive\nsix\n"}},
                {"do": "permission", "id": "e1", "title": "Edit notes.txt", "kind": "edit"},
                {"do": "permission", "id": "c1", "title": "Run a command", "kind": "execute",
                 "with": {
                    "rawInput": {"command": ["/bin/bash", "-lc", "touch made && ls"], "cwd": "/w",
                                 "reason": "A marker file shows the step ran."},
                    "content": [{"type": "content", "content": {"type": "text",
                        "text": "A marker file shows the step ran.\nProposed Amendment: touch\nmade\nAvailable Decisions: Approved\nApprovedExecpolicyAmendment\nAbort"}}]},
                 "options": [
                    {"optionId": "approved", "name": "Yes", "kind": "allow_once"},
                    {"optionId": "approved-for-session", "name": long_name, "kind": "allow_always"},
                    {"optionId": "abort", "name": "No, and tell Codex what to do differently", "kind": "reject_once"}]},
                {"do": "message", "text": "both done"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "edit and run").await;
    let browser = Browser::logged_in(&server, 1280, 900).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Edit notes.txt")
        .await;
    let card = |what: &str| {
        format!("const c = [...document.querySelectorAll('[data-testid=approval-card]')].find((c) => c.textContent.includes('Edit notes.txt')); return {what};")
    };
    let lines = browser
        .client
        .execute(
            &card("[...c.querySelectorAll('[data-testid=diff-line]')].map((l) => l.className.replace('diff-line ', '') + ' ' + l.querySelector('.diff-text').textContent)"),
            vec![],
        )
        .await
        .expect("diff lines");
    browser.screenshot("approval-with-diff").await;
    assert_eq!(
        lines,
        json!([
            "kept one",
            "kept two",
            "removed three",
            "added 3",
            "kept four",
            "kept five",
            "added six"
        ]),
        "the approval card shows the edit's lines"
    );
    // The default rule allows edits inside the workspace: this card shows
    // the rule's verdict under the diff, and the command is asked.
    browser
        .until_text("[data-testid=approval-card]", "Run a command")
        .await;
    browser
        .until_text("[data-testid=tool-command]", "touch made && ls")
        .await;
    // Codex asks before it announces the call, with its internal notes as
    // text: neither card shows them; the approval shows its reason.
    browser
        .until_text(
            "[data-testid=tool-reason]",
            "A marker file shows the step ran.",
        )
        .await;
    let notes = browser
        .client
        .execute("return document.querySelector('.transcript').textContent.includes('Proposed Amendment');", vec![])
        .await
        .expect("notes");
    assert_eq!(notes, json!(false), "Codex's internal notes are not shown");
    let option = browser
        .client
        .execute(
            "const b = document.querySelector('[data-option=approved-for-session]'); \
             const r = b.getBoundingClientRect(); \
             const card = b.closest('[data-testid=approval-card]').getBoundingClientRect(); \
             return [b.title, r.height < 60, r.right <= card.right + 1];",
            vec![],
        )
        .await
        .expect("option");
    assert_eq!(
        option,
        json!([long_name, true, true]),
        "one line, inside the card, whole name in its title"
    );
    // What "always" would keep: each simple command, never the line.
    browser
        .until_text("[data-testid=always-keeps]", "touch made ls")
        .await;
    browser.screenshot("approval-with-command").await;
    browser
        .click("[data-testid=approval-option][data-option=approved]")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.close().await;
}
