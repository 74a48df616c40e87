//! A session's page: broken agents, kill -9, stepping in, tool cards, a finished session, long transcripts.

use super::*;

#[tokio::test]
async fn broken_agents_show_their_reason_and_other_sessions_go_on() {
    let server = TestServer::start().await;
    let garbage = server
        .scripted_assistant(
            "garbage",
            json!({"turns": [[{"do": "garbage", "text": "Segmentation fault (not JSON)"}]]}),
        )
        .await;
    let crash = server
        .scripted_assistant(
            "crash",
            json!({"turns": [[{"do": "message", "text": "halfway"}, {"do": "crash", "code": 9}]]}),
        )
        .await;
    let hang = server
        .scripted_assistant("hang", json!({"hang_on_initialize": true}))
        .await;
    let fine = server
        .scripted_assistant(
            "fine",
            json!({"turns": [[{"do": "message", "text": "All good."}]]}),
        )
        .await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    for (assistant, reason) in [
        (&garbage, "broke the protocol"),
        (&crash, "mid-turn"),
        (&hang, "did not answer initialize"),
    ] {
        let session = server.start_session(assistant, "go").await;
        browser.open_session(&server, &session.id).await;
        browser
            .until_text("[data-testid=entry-error]", reason)
            .await;
        browser
            .until_text("[data-testid=session-status]", "Failed")
            .await;
    }
    browser.screenshot("desktop-failed").await;
    let session = server.start_session(&fine, "go").await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=entry-agent]", "All good.")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn after_kill_9_the_page_reconnects_and_shows_the_session_interrupted() {
    let mut server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "waiting",
            json!({"turns": [[
                {"do": "message", "text": "Before the crash."},
                {"do": "permission", "id": "p1", "title": "Wait", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Wait")
        .await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    server.kill().await;
    browser.until_text(".banner-warn", "Reconnecting").await;
    let _restarted = TestServer::launch()
        .in_dir(&server.data_dir)
        .at(&addr)
        .start()
        .await;
    browser
        .until_text("[data-testid=session-status]", "Interrupted")
        .await;
    browser
        .until_text("[data-testid=approval-verdict]", "Cancelled")
        .await;
    let befores = browser.texts("[data-testid=entry-agent]").await;
    assert_eq!(
        befores
            .iter()
            .filter(|t| t.contains("Before the crash."))
            .count(),
        1,
        "nothing is duplicated after the reconnect: {befores:?}"
    );
    browser.screenshot("desktop-interrupted").await;
    browser.close().await;
}

#[tokio::test]
async fn two_people_pause_resume_interrupt_and_stop_a_session() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let assistant = server
        .scripted_assistant(
            "Steady",
            json!({"turns": [
                [
                    {"do": "message", "text": "one "},
                    {"do": "sleep", "ms": 1500},
                    {"do": "message", "text": "two "},
                    {"do": "work_until_cancel", "interval_ms": 500}
                ],
                [{"do": "echo_prompt"}, {"do": "work_until_cancel", "interval_ms": 500}]
            ]}),
        )
        .await;
    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/members", assistant.id),
            json!({"user_id": alice.id}),
        )
        .await;
    assert_eq!(status, 200);
    let session = server.start_session(&assistant, "go").await;
    let session_url = format!("{}/#/sessions/{}", server.url, session.id);
    let admin = Browser::logged_in(&server, 1280, 860).await;
    let other = Browser::open(1280, 860).await;
    other.log_in(&server, "alice", "alice-password").await;
    for browser in [&admin, &other] {
        browser
            .client
            .goto(&session_url)
            .await
            .expect("open session");
        browser.until_text("[data-testid=entry-agent]", "one").await;
    }
    admin.click("[data-testid=pause]").await;
    other
        .until_text("[data-testid=session-status]", "Paused")
        .await;
    other
        .until_text("[data-testid=entry-status]", "paused by admin")
        .await;
    other.screenshot("desktop-paused").await;
    other.click("[data-testid=resume]").await;
    admin.until_text("[data-testid=entry-agent]", "two").await;
    admin
        .until_text("[data-testid=entry-status]", "resumed by alice")
        .await;
    admin
        .type_into("[data-testid=composer]", "switch to this")
        .await;
    admin.click("[data-testid=interrupt-send]").await;
    other
        .until_text("[data-testid=entry-status]", "turn interrupted by admin")
        .await;
    other
        .until_text("[data-testid=entry-agent]", "switch to this")
        .await;
    other.click("[data-testid=stop]").await;
    admin
        .until_text("[data-testid=session-status]", "Stopped")
        .await;
    admin
        .until_text("[data-testid=entry-status]", "stopped by alice")
        .await;
    admin.screenshot("desktop-stepped-in").await;
    admin.close().await;
    other.close().await;
}

/// Claude's adapter sends a tool's result only as `rawOutput`: the card
/// shows it; a call the turn left running says it did not finish.
#[tokio::test]
async fn a_tool_card_shows_a_raw_result_and_a_call_that_did_not_finish() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "raw",
            json!({"turns": [[
                {"do": "tool_call", "id": "read-1", "title": "Read notes.txt", "kind": "read"},
                {"do": "tool_update", "id": "read-1", "status": "completed",
                 "raw_output": "line one of the notes"},
                {"do": "tool_call", "id": "run-1", "title": "cargo build", "kind": "execute"},
                {"do": "tool_update", "id": "run-1", "status": "in_progress"},
                {"do": "message", "text": "Read them."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "read the notes").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser
        .until_text("[data-testid=tool-raw-output]", "line one of the notes")
        .await;
    browser
        .until_text("[data-tool-status=not-finished]", "did not finish")
        .await;
    browser.screenshot("desktop-tool-raw-output").await;
    browser.close().await;
}

/// A finished session opens at its end: its summary in view, no "Jump to
/// live" over it, however long it is and however its rows grow as they
/// render (markdown, code blocks).
#[tokio::test]
async fn a_finished_session_opens_at_its_end() {
    let server = TestServer::start().await;
    let long =
        "Here is what I did:\n\n```\n".to_owned() + &"a line of output\n".repeat(30) + "```\n";
    let assistant = server
        .scripted_assistant(
            "long",
            json!({"turns": [[
                {"do": "entries", "count": 300},
                {"do": "message", "text": long},
                {"do": "message", "text": "\n\n## Done\n\nAll of it."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "do it all").await;
    crate::support::until_json(
        &server,
        &format!("/api/sessions/{}", session.id),
        "the session to end",
        |s| s["status"] == "completed",
    )
    .await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_dom_text("[data-testid=entry-summary]", "Finished")
        .await;
    let started = Instant::now();
    loop {
        let state = browser
            .client
            .execute(
                "const list = document.querySelector('[data-testid=transcript]');
                 const summary = document.querySelector('[data-testid=entry-summary]');
                 if (!list || !summary) return null;
                 const view = list.getBoundingClientRect();
                 const box = summary.getBoundingClientRect();
                 // Its end is on screen (a long summary may start above).
                 return { inView: box.bottom <= view.bottom + 1 && box.bottom > view.top,
                          jump: !!document.querySelector('[data-testid=jump-live]') };",
                vec![],
            )
            .await
            .expect("script");
        if state["inView"] == true && state["jump"] == false {
            break;
        }
        if started.elapsed() > DEADLINE {
            browser.screenshot("finished-session-not-at-end").await;
            panic!("the summary is not in view: {state}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("desktop-finished-session-end").await;
    browser.close().await;
}

#[tokio::test]
async fn a_long_transcript_keeps_a_window_of_rows_and_scrolls_back_to_the_start() {
    let server = TestServer::start().await;
    let talker = server
        .scripted_assistant(
            "talker",
            json!({"turns": [[{"do": "entries", "count": 3000}]]}),
        )
        .await;
    let session = server.start_session(&talker, "go").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.until_text(".transcript", "entry 2999").await;
    let rows = || async {
        browser
            .client
            .execute(
                "return document.querySelectorAll('.transcript > li').length;",
                vec![],
            )
            .await
            .expect("count rows")
            .as_u64()
            .unwrap_or(0)
    };
    let at_open = rows().await;
    assert!(at_open <= 502, "{at_open} rows in the page at open");
    assert!(
        !browser
            .texts(".transcript")
            .await
            .concat()
            .contains("entry 0"),
        "the start is not rendered yet"
    );
    // The reader scrolls up, again and again, to the very start.
    let started = Instant::now();
    loop {
        browser
            .client
            .execute(
                "const t = document.querySelector('.transcript'); t.scrollTop = 0; \
                 t.dispatchEvent(new Event('scroll'));",
                vec![],
            )
            .await
            .expect("scroll");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let at_start = browser
            .client
            .execute(
                "return document.querySelector('.transcript').textContent.includes('entry 0');",
                vec![],
            )
            .await
            .expect("read");
        if at_start == json!(true) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "never reached the start: {:?}",
            browser.texts("[data-testid=older-entries]").await
        );
        let now = rows().await;
        assert!(now <= 502, "{now} rows in the page while scrolling");
    }
    browser.screenshot("desktop-long-transcript-start").await;
    browser.click("[data-testid=jump-live]").await;
    browser.until_text(".transcript", "entry 2999").await;
    assert!(rows().await <= 502);
    browser.close().await;
}

/// The header shows the agent's mode (switched to asking, in words), its
/// model and effort, and the context and cost so far; a member changes the
/// model and the mode there, and each change is a line of the transcript
/// naming who made it; a notice stands apart from the reply.
#[tokio::test]
async fn the_header_shows_and_changes_mode_and_model_with_context_and_cost() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "claude-like",
            json!({
                "modes": [{"id": "auto", "name": "Auto"}, {"id": "default", "name": "Default"},
                          {"id": "acceptEdits", "name": "Accept edits"}],
                "start_mode": "auto",
                "acting_modes": ["auto", "acceptEdits"],
                "config_options": [
                    {"id": "model", "name": "Model", "category": "model", "type": "select",
                     "currentValue": "sonnet", "options": [
                        {"value": "sonnet", "name": "Sonnet"}, {"value": "opus", "name": "Opus"}]},
                    {"id": "effort", "name": "Effort", "category": "thought_level", "type": "select",
                     "currentValue": "medium", "options": [
                        {"value": "low", "name": "Low"}, {"value": "medium", "name": "Medium"}]}],
                "turns": [[
                    {"do": "update", "update": {"sessionUpdate": "agent_message_chunk",
                        "content": {"type": "text", "text": "Loaded 3 skills."},
                        "_meta": {"claudeCode": {"kind": "informational"}}}},
                    {"do": "message", "text": "Ready."},
                    {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 54000, "size": 200000,
                        "cost": {"amount": 0.42, "currency": "USD"}}},
                    {"do": "permission", "id": "w1", "title": "Write notes.txt", "kind": "edit"}
                ]]
            }),
        )
        .await;
    let session = server.start_session(&assistant, "hello").await;
    let browser = Browser::logged_in(&server, 1280, 800).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=agent-usage]", "Context 27% of 200k · $0.42")
        .await;
    let selected = |css: &'static str| {
        let browser = &browser;
        async move {
            browser
                .client
                .execute(
                    "const s = document.querySelector(arguments[0]); return s ? s.selectedOptions[0].textContent : null;",
                    vec![json!(css)],
                )
                .await
                .expect("select")
        }
    };
    assert_eq!(
        selected("[data-testid=agent-mode-select]").await,
        json!("Default · asks before acting")
    );
    assert_eq!(selected("select[data-option=model]").await, json!("Sonnet"));
    assert_eq!(
        selected("select[data-option=effort]").await,
        json!("Medium")
    );
    browser
        .until_text(
            "[data-testid=entry-change]",
            "Mode set to Default (asks before acting) — the assistant's default",
        )
        .await;
    browser
        .until_text("[data-testid=entry-notice]", "Loaded 3 skills.")
        .await;
    let reply = browser.texts("[data-testid=entry-agent]").await;
    assert_eq!(reply, vec!["Ready."], "the notice is not part of the reply");
    browser.screenshot("session-header-mode-model-cost").await;

    browser.select("select[data-option=model]", "opus").await;
    browser
        .until_text("[data-testid=entry-change]", "Model set to Opus — by admin")
        .await;
    assert_eq!(selected("select[data-option=model]").await, json!("Opus"));
    browser
        .select("[data-testid=agent-mode-select]", "acceptEdits")
        .await;
    browser
        .until_text(
            "[data-testid=entry-change]",
            "Mode set to Accept edits (acts without asking) — by admin",
        )
        .await;
    let marked = browser
        .client
        .execute("return document.querySelector('[data-testid=agent-mode]').classList.contains('acts-alone');", vec![])
        .await
        .expect("class");
    assert_eq!(marked, json!(true), "a mode that acts alone is marked");
    browser.screenshot("session-header-changed-by-member").await;
    browser.close().await;
}

/// Typing `/` opens the agent's commands; the keyboard narrows, moves,
/// picks, and the message goes out as the agent's command.
#[tokio::test]
async fn the_slash_palette_lists_the_agents_commands_and_the_keyboard_picks_one() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "commander",
            json!({"turns": [
                [{"do": "update", "update": {"sessionUpdate": "available_commands_update", "availableCommands": [
                    {"name": "review", "description": "Review the current diff", "input": {"hint": "focus"}},
                    {"name": "compact", "description": "Shorten the context"},
                    {"name": "pr-comments", "description": "Read the pull request's comments"}]}},
                 {"do": "echo_prompt"}]
            ]}),
        )
        .await;
    let session = server.start_session(&assistant, "hi").await;
    let browser = Browser::logged_in(&server, 1280, 800).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.type_into("[data-testid=composer]", "/").await;
    browser
        .until_text("[data-testid=command-palette]", "/pr-comments")
        .await;
    assert_eq!(
        browser.texts("[data-testid=palette-command]").await.len(),
        3
    );
    browser.type_into("[data-testid=composer]", "re").await;
    browser
        .until_text("[data-testid=command-palette]", "/review")
        .await;
    let names = browser
        .texts("[data-testid=palette-command] .command-name")
        .await;
    assert_eq!(names, vec!["/review", "/pr-comments"]);
    browser.screenshot("composer-command-palette").await;
    browser
        .type_into(
            "[data-testid=composer]",
            &char::from(fantoccini::key::Key::Down).to_string(),
        )
        .await;
    browser
        .type_into(
            "[data-testid=composer]",
            &char::from(fantoccini::key::Key::Enter).to_string(),
        )
        .await;
    let draft = browser
        .client
        .execute(
            "return document.querySelector('[data-testid=composer]').value;",
            vec![],
        )
        .await
        .expect("draft");
    assert_eq!(draft, json!("/pr-comments "));
    assert!(
        !browser.is_shown("[data-testid=command-palette]").await,
        "picking closes it"
    );
    browser.type_into("[data-testid=composer]", "now").await;
    browser
        .type_into(
            "[data-testid=composer]",
            &char::from(fantoccini::key::Key::Enter).to_string(),
        )
        .await;
    browser
        .until_text("[data-testid=entry-agent]", "You said: /pr-comments now")
        .await;
    browser.close().await;
}
