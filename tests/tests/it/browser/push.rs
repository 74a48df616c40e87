//! Web Push in the browser: the service worker's own code (fetched from
//! the server, run against a stand-in `self`) shows a push with its
//! buttons and answers an approval from a button once, as the person
//! logged in; Settings lists the person's devices and what each assistant
//! pushes.

use super::Browser;
use crate::support::{TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::Seq;

/// Runs `/sw.js` in the page with a stand-in `self` that records what it
/// shows and opens; `steps` is a script calling `push(message)` and
/// `click(action, data)`, each awaited.
const HARNESS: &str = r#"
const done = arguments[arguments.length - 1];
const steps = arguments[0];
(async () => {
  const source = await (await fetch('/sw.js')).text();
  const handlers = {};
  const shown = [];
  const stand_in = {
    addEventListener: (name, handler) => { handlers[name] = handler; },
    location: self.location,
    registration: {
      showNotification: async (title, options) => { shown.push({ title, options }); },
    },
    clients: {
      matchAll: async () => [],
      openWindow: async (url) => { shown.push({ opened: url }); },
    },
    skipWaiting: () => {},
  };
  new Function('self', 'caches', source)(stand_in, {});
  const run = async (event) => {
    let pending = Promise.resolve();
    event.waitUntil = (p) => { pending = p; };
    return { event, pending };
  };
  for (const step of steps) {
    let event;
    if (step.push) {
      event = { data: { json: () => step.push, text: () => JSON.stringify(step.push) } };
      const { pending } = await run(event);
      handlers.push(event);
      await pending;
    } else {
      let closed = false;
      event = { action: step.action || '', notification: { data: step.data, close() { closed = true; } } };
      let pending = Promise.resolve();
      event.waitUntil = (p) => { pending = p; };
      handlers.notificationclick(event);
      await pending;
      shown.push({ closed });
    }
  }
  done(shown);
})().catch((error) => done(String(error)));
"#;

async fn run_worker(browser: &Browser, steps: Value) -> Vec<Value> {
    let result = browser
        .client
        .execute_async(HARNESS, vec![steps])
        .await
        .expect("the worker harness ran");
    result
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("the worker failed: {result}"))
}

#[tokio::test]
async fn a_notification_button_answers_an_approval_once_as_the_person_logged_in() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "deployer",
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                {"do": "message", "text": "Deployed."}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "ship it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = viewer.until_approval().await;
    let url = format!("/#/sessions/{}", session.id);

    let browser = Browser::logged_in(&server, 1280, 860).await;
    // The page's policy forbids evaluating text as script, rightly; the
    // harness needs it to run the worker's source in the page.
    browser
        .cdp("Page.setBypassCSP", json!({"enabled": true}))
        .await;
    browser.client.goto(&server.url).await.expect("reload");
    let message = json!({
        "kind": "approval",
        "title": "deployer asks: Deploy",
        "body": "In “ship it”",
        "url": url,
        "session_id": session.id,
        "approval_id": approval,
        "actions": [
            {"option_id": options[0], "title": "Allow once"},
            {"option_id": "reject", "title": "Reject"}
        ]
    });
    let data = json!({"approval_id": approval, "url": url});
    let shown = run_worker(
        &browser,
        json!([
            {"push": message},
            {"action": options[0], "data": data},
            // A late second tap on the same notification.
            {"action": options[0], "data": data},
            // A tap on the notification itself opens the session.
            {"data": data}
        ]),
    )
    .await;
    // The push: its title, its buttons, kept until answered, tagged by
    // its session.
    let first = &shown[0];
    assert_eq!(first["title"], "deployer asks: Deploy", "{shown:?}");
    assert_eq!(first["options"]["requireInteraction"], true);
    assert_eq!(first["options"]["tag"], url.trim_start_matches('/'));
    assert_eq!(first["options"]["actions"][0]["action"], options[0]);
    assert_eq!(first["options"]["actions"][1]["title"], "Reject");
    // The first tap answered (nothing shown but the closing); the second
    // was told who answered first.
    assert_eq!(shown[1], json!({"closed": true}), "{shown:?}");
    assert_eq!(shown[2]["title"], "Not answered", "{shown:?}");
    let reason = shown[2]["options"]["body"].as_str().unwrap_or_default();
    assert!(
        reason.contains("already") && reason.contains("admin"),
        "{reason}"
    );
    assert_eq!(shown[3], json!({"closed": true}));
    assert_eq!(
        shown[4]["opened"],
        format!("{}{url}", server.url),
        "{shown:?}"
    );

    // Decided once, by the person logged in on that device.
    viewer.until_ended().await;
    let decided: Vec<_> = viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            tandem_shared::EventBody::PermissionDecision { by, .. } => Some(by.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(decided, vec![Some("admin".to_owned())], "{decided:?}");
    browser.close().await;
}

#[tokio::test]
async fn settings_list_devices_and_what_each_assistant_pushes() {
    let server = TestServer::launch()
        .env("TANDEM_PUSH_ALLOW_LOCAL", "true")
        .start()
        .await;
    // A device added through the API, as the page does after subscribing.
    let (status, body) = server
        .post(
            "/api/push/devices",
            json!({
                "endpoint": "https://push.example.com/d/1",
                "keys": {
                    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                    "auth": "BTBZMqHH6r4Tts7J_aSIgg"
                },
                "device": "Chrome on Android"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for (width, height, name) in [
        (1280, 860, "desktop-push-settings"),
        (390, 844, "phone-push-settings"),
    ] {
        let browser = Browser::open(width, height).await;
        browser
            .cdp(
                "Browser.grantPermissions",
                json!({"origin": server.url, "permissions": ["notifications"]}),
            )
            .await;
        browser
            .log_in(
                &server,
                crate::support::ADMIN,
                crate::support::ADMIN_PASSWORD,
            )
            .await;
        browser
            .client
            .goto(&format!("{}/#/settings", server.url))
            .await
            .expect("settings");
        browser
            .until_dom_text("[data-testid=push-devices]", "Chrome on Android")
            .await;
        browser.until_dom_text(".push-kinds", "Demo").await;
        browser.scroll_to("[data-testid=push-heading]").await;
        browser.screenshot(name).await;
        browser.close().await;
    }
}
