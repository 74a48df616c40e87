//! Pages and how they hold up: the assistant page, many assistants, a phone, offline, contrast, the keyboard.

use super::*;

#[tokio::test]
async fn the_assistant_page_chats_edits_the_profile_and_the_board_assigns_tasks() {
    let server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.client.goto(&server.url).await.expect("open app");
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;

    // Writing in chat wakes the assistant; its summary comes back in chat.
    browser
        .type_into("[data-testid=chat-composer]", "echo from chat\n")
        .await;
    browser
        .until_text("[data-testid=chat-message]", "echo from chat")
        .await;
    browser.click("[data-testid=session-item]").await;
    // Whether the agent is kept in its workspace is in the header.
    browser
        .until_text("[data-testid=sandbox-chip]", "andboxed")
        .await;
    browser
        .click(".approval.pending [data-option=allow-once]")
        .await;
    browser
        .until_text("[data-testid=session-status]", "Completed")
        .await;
    browser.click("[data-testid=assistant-item]").await;
    browser
        .until_text("[data-testid=chat-message][data-kind=summary]", "Finished.")
        .await;
    browser.screenshot("desktop-assistant-chat").await;

    browser.click("[data-testid=tab-wakes]").await;
    browser.until_text("[data-testid=wakes]", "chat").await;
    browser.until_text("[data-testid=wakes]", "started").await;

    browser.click("[data-testid=tab-profile]").await;
    browser
        .until_text("[data-testid=sandbox-chip]", "andboxed")
        .await;
    browser
        .type_into("[data-testid=persona]", " Careful with rm.")
        .await;
    browser.click("[data-testid=save-profile]").await;
    browser.until_text("[data-testid=saved]", "Saved").await;
    browser.screenshot("desktop-assistant-profile").await;
    let (_, demo) = server.get("/api/assistants").await;
    assert!(
        demo[0]["persona"]
            .as_str()
            .unwrap()
            .ends_with("Careful with rm."),
        "{demo}"
    );

    // The board: a task assigned to Demo wakes it and moves along.
    browser.click("[data-testid=tasks-link]").await;
    browser.type_into("[data-testid=task-title]", "pwd").await;
    let assignee = browser
        .client
        .find(Locator::Css("[data-testid=task-assignee]"))
        .await
        .expect("assignee select");
    assignee.select_by_label("Demo").await.expect("pick Demo");
    browser.click("[data-testid=create-task]").await;
    browser
        .until_text("[data-testid=column-in_progress]", "pwd")
        .await;
    browser.screenshot("desktop-tasks").await;
    browser.close().await;
}

/// With many assistants the sidebar keeps room for the sessions: the
/// assistants scroll in their own box and the page itself never scrolls.
#[tokio::test]
async fn twenty_five_assistants_leave_the_session_list_its_room() {
    let server = TestServer::start().await;
    let mut last = None;
    for i in 0..25 {
        last = Some(
            server
                .scripted_assistant(
                    &format!("helper-{i:02}"),
                    json!({"turns": [[{"do": "message", "text": "ok"}]]}),
                )
                .await,
        );
    }
    let assistant = last.expect("an assistant");
    for i in 0..6 {
        server.start_session(&assistant, &format!("task {i}")).await;
    }
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser
        .until_text("[data-testid=session-item]", "task 5")
        .await;
    let sizes = browser
        .client
        .execute(
            "const list = document.querySelector('.sidebar .session-list');
             const roster = document.querySelector('[data-testid=assistant-roster]');
             const foot = document.querySelector('[data-testid=settings-link]').getBoundingClientRect();
             return { sessions: list.getBoundingClientRect().height,
                      footVisible: foot.bottom <= window.innerHeight && foot.top >= 0,
                      roster: roster.getBoundingClientRect().height,
                      rosterScrolls: roster.scrollHeight > roster.clientHeight,
                      page: document.scrollingElement.scrollHeight,
                      window: window.innerHeight };",
            vec![],
        )
        .await
        .expect("script");
    browser.screenshot("desktop-sidebar-25-assistants").await;
    assert!(sizes["sessions"].as_f64() >= Some(120.0), "{sizes}");
    assert_eq!(
        sizes["footVisible"], true,
        "Settings stays in reach: {sizes}"
    );
    assert_eq!(sizes["rosterScrolls"], true, "{sizes}");
    assert!(
        sizes["page"].as_f64() <= sizes["window"].as_f64(),
        "the page itself must not scroll: {sizes}"
    );
    browser.close().await;
}

const PHONE: (u32, u32) = (390, 844);

#[tokio::test]
async fn on_a_phone_the_tab_bar_carries_the_approvals_badge_and_reaches_everything() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "message", "text": "May I deploy?"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"},
                {"do": "message", "text": "Deployed."}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    let browser = Browser::logged_in(&server, PHONE.0, PHONE.1).await;
    assert!(!browser.is_shown(".sidebar").await, "no sidebar on a phone");
    assert!(browser.is_shown(".tabbar").await, "a tab bar on a phone");
    browser.until_text("[data-testid=tab-badge]", "1").await;

    browser.click("[data-testid=tab-sessions]").await;
    browser
        .until_text(
            "[data-testid=sessions-page] [data-testid=day-heading]",
            "Today",
        )
        .await;
    browser
        .until_text(
            "[data-testid=sessions-page] [data-testid=session-item]",
            "Waiting for approval",
        )
        .await;
    browser.screenshot("phone-sessions").await;
    browser
        .click("[data-testid=sessions-page] [data-testid=session-item]")
        .await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy to staging")
        .await;
    browser.screenshot("phone-session").await;

    browser.click("[data-testid=tab-chat]").await;
    browser
        .until_text("[data-testid=chats-page]", "asker")
        .await;
    browser.screenshot("phone-chats").await;
    browser
        .click("[data-testid=chats-page] [data-testid=assistant-item]")
        .await;
    browser
        .until_text("[data-testid=assistant-page] h1", "Demo")
        .await;
    browser.screenshot("phone-assistant").await;
    browser.click("[data-testid=tab-tasks]").await;
    browser.until_text(".tasks-page", "DONE").await;
    browser.screenshot("phone-tasks").await;
    browser.click("[data-testid=tab-chat]").await;
    browser.click("[data-testid=chats-settings]").await;
    browser.until_text("[data-testid=me]", ADMIN).await;
    browser.screenshot("phone-settings").await;

    // The inbox answers for the whole team; the badge goes.
    browser.click("[data-testid=tab-approvals]").await;
    browser
        .until_text("[data-testid=inbox-approval]", "Deploy to staging")
        .await;
    browser.screenshot("phone-approvals").await;
    browser
        .click("[data-testid=inbox-approval] [data-option=yes]")
        .await;
    browser
        .until_text("[data-testid=approvals-empty]", "Nothing is waiting")
        .await;
    assert!(!browser.is_shown("[data-testid=tab-badge]").await);
    let events = server.all_events(&session.id).await;
    assert!(
        events.iter().any(|e| matches!(
            &e.body,
            tandem_shared::EventBody::PermissionDecision { by: Some(by), .. } if by == ADMIN
        )),
        "the inbox answered the session's approval"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_app_is_installable_and_opens_offline_from_its_kept_shell() {
    let mut server = TestServer::start().await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    // The service worker has kept this build's shell.
    let active = browser
        .client
        .execute_async(
            "const done = arguments[0]; \
             navigator.serviceWorker.ready.then(r => done(!!r.active)).catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("service worker");
    assert_eq!(active, json!(true), "the service worker is active");
    let manifest = browser.cdp("Page.getAppManifest", json!({})).await;
    assert_eq!(manifest["errors"], json!([]), "{manifest}");
    // Chromium's own verdict.
    let verdict = browser.cdp("Page.getInstallabilityErrors", json!({})).await;
    assert_eq!(
        verdict["installabilityErrors"],
        json!([]),
        "Chromium finds it installable: {verdict}"
    );

    // Server gone: a reload opens the kept shell, which says it is offline.
    let addr = server.url.trim_start_matches("http://").to_owned();
    let data_dir = server.data_dir.clone();
    server.kill().await;
    browser.client.refresh().await.expect("reload");
    browser
        .until_text("[data-testid=offline-banner]", "Offline")
        .await;
    browser.screenshot("desktop-offline").await;
    // Back again: the page finds it by itself, still logged in.
    let _restarted = TestServer::launch()
        .in_dir(&data_dir)
        .at(&addr)
        .start()
        .await;
    browser
        .until_text("[data-testid=signed-in-as]", ADMIN)
        .await;
    browser.close().await;
}

/// Every visible piece of text against its background: WCAG AA asks 4.5:1,
/// or 3:1 for large text. Disabled controls are exempt, as WCAG says.
const CONTRAST_FAILURES: &str = r#"
function parse(c) {
  let m = c.match(/rgba?\(([^)]+)\)/);
  if (m) { const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  m = c.match(/color\(srgb ([^)]+)\)/);
  if (m) { const p = m[1].split(/[ \/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
  return null;
}
function lum([r, g, b]) {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function over(top, under) {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255, 1];
  if (!layers.length || layers[layers.length - 1][3] < 1) {
    const root = parse(getComputedStyle(document.documentElement).backgroundColor);
    if (root && root[3] > 0) bg = root;
  }
  for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
const failures = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.closest('[disabled], [aria-hidden=true]')) continue;
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (!r.width || !r.height || style.visibility === 'hidden') continue;
  const fg = parse(style.color); if (!fg) continue;
  const bg = background(el);
  const color = over(fg, bg);
  const [a, b] = [lum(color), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) failures.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
}
const unlabelled = [...document.querySelectorAll('input, select, textarea, button')].filter((c) => {
  if (!c.getClientRects().length) return false;
  const named = c.getAttribute('aria-label') || c.closest('label') ||
    (c.id && document.querySelector(`label[for="${c.id}"]`)) ||
    (c.tagName === 'BUTTON' && (c.textContent.trim() || c.querySelector('svg + span')));
  return !named;
}).map((c) => c.outerHTML.slice(0, 80));
return failures.concat(unlabelled.map((u) => 'unlabelled ' + u));
"#;

#[tokio::test]
async fn the_main_views_meet_wcag_aa_contrast_and_label_every_control_in_light_and_dark() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "thought", "text": "Thinking it over"},
                {"do": "message", "text": "May I **deploy**? See `make deploy`."},
                {"do": "tool_call", "id": "t1", "title": "Read Makefile", "kind": "read"},
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    for (width, height) in [(1280, 860), PHONE] {
        let browser = Browser::logged_in(&server, width, height).await;
        for dark in [false, true] {
            browser
                .cdp(
                    "Emulation.setEmulatedMedia",
                    json!({"features": [{"name": "prefers-color-scheme",
                        "value": if dark { "dark" } else { "light" }}]}),
                )
                .await;
            for (page, ready) in [
                (
                    format!("#/sessions/{}", session.id),
                    "[data-testid=approval-card]",
                ),
                ("#/approvals".to_owned(), "[data-testid=inbox-approval]"),
                (
                    format!("#/assistants/{}", asker.id),
                    "[data-testid=assistant-page]",
                ),
                ("#/tasks".to_owned(), ".tasks-page"),
                ("#/settings".to_owned(), "[data-testid=me]"),
                ("#/sessions".to_owned(), "[data-testid=sessions-page]"),
                ("#/usage".to_owned(), "[data-testid=usage-chart]"),
            ] {
                browser
                    .client
                    .goto(&format!("{}/{page}", server.url))
                    .await
                    .expect("open page");
                browser
                    .client
                    .wait()
                    .at_most(DEADLINE)
                    .for_element(Locator::Css(ready))
                    .await
                    .unwrap_or_else(|e| panic!("{page}: {ready} never appeared: {e}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                let failures = browser
                    .client
                    .execute(CONTRAST_FAILURES, vec![])
                    .await
                    .expect("contrast check");
                assert_eq!(failures, json!([]), "{page} at {width}px, dark: {dark}");
            }
        }
        browser.close().await;
    }
}

#[tokio::test]
async fn the_keyboard_reaches_every_control_with_a_visible_focus() {
    let server = TestServer::start().await;
    let asker = server
        .scripted_assistant(
            "asker",
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": "Deploy to staging", "kind": "execute"}
            ]]}),
        )
        .await;
    let session = server.start_session(&asker, "deploy please").await;
    let browser = Browser::logged_in(&server, 1280, 860).await;
    browser.open_session(&server, &session.id).await;
    browser
        .until_text("[data-testid=approval-card]", "Deploy to staging")
        .await;
    // Tab through the page: note each focused control and its outline.
    let walk = browser
        .client
        .execute(
            "document.activeElement && document.activeElement.blur(); return true;",
            vec![],
        )
        .await;
    assert!(walk.is_ok());
    let mut reached = Vec::new();
    for _ in 0..40 {
        browser
            .client
            .active_element()
            .await
            .expect("active element")
            .send_keys("\u{E004}") // Tab
            .await
            .expect("tab");
        let focused = browser
            .client
            .execute(
                "const e = document.activeElement; const s = getComputedStyle(e); \
                 return [e.dataset.testid || e.tagName.toLowerCase(), \
                         s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];",
                vec![],
            )
            .await
            .expect("focus");
        reached.push(focused);
    }
    let names: Vec<&str> = reached.iter().filter_map(|f| f[0].as_str()).collect();
    for wanted in [
        "new-session",
        "session-search",
        "session-item",
        "settings-link",
        "share",
        "stop",
        "approval-option",
        "composer",
    ] {
        assert!(
            names.contains(&wanted),
            "Tab never reached {wanted}: {names:?}"
        );
    }
    for focused in &reached {
        if focused[0] != "body" {
            assert_eq!(
                focused[1],
                json!(true),
                "no visible focus on {}",
                focused[0]
            );
        }
    }
    browser.close().await;
}
