//! Monthly budgets held to what the test agent reports spending: the
//! warning and the limit said once, a session paused at the limit and
//! resumed when an admin raises the budget, wakes refused with the reason,
//! and a new month (Tandem's clock moved on) starting from nothing.

use crate::support::{TestServer, Viewer};
use serde_json::{json, Value};
use std::time::Duration;
use tandem_shared::{Seq, SessionId, SessionStatus};

const USD: i64 = 1_000_000;

/// The first process spends 0.85 (past an 80 % warning of 1.00); every
/// later one spends 0.20, then works on a little, then says so.
fn spender() -> Value {
    let cost = |amount: f64| {
        json!({"do": "update", "update": {"sessionUpdate": "usage_update", "used": 10, "size": 100,
            "cost": {"amount": amount, "currency": "USD"}}})
    };
    json!({"turns": [[{"do": "first_time", "marker": "spent-once",
        "steps": [cost(0.85), {"do": "message", "text": "first"}],
        "otherwise": [cost(0.2), {"do": "sleep", "ms": 800}, {"do": "message", "text": "after the pause"}]}]]})
}

async fn chat_lines(server: &TestServer, assistant: &str) -> Vec<String> {
    let (status, chat) = server
        .get(&format!("/api/assistants/{assistant}/chat"))
        .await;
    assert_eq!(status, 200, "{chat}");
    chat.as_array()
        .map(|messages| {
            messages
                .iter()
                .filter(|m| m["author"] == "Tandem")
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn standing(server: &TestServer, assistant: &str) -> Value {
    let (status, standings) = server
        .get(&format!("/api/assistants/{assistant}/budget"))
        .await;
    assert_eq!(status, 200, "{standings}");
    standings[0].clone()
}

#[tokio::test]
async fn budgets_warn_pause_refuse_and_start_over_with_the_month_on_sqlite() {
    check_budgets(None).await;
}

#[tokio::test]
async fn budgets_warn_pause_refuse_and_start_over_with_the_month_on_postgres() {
    check_budgets(Some(crate::support::fresh_postgres().await)).await;
}

async fn check_budgets(database: Option<String>) {
    let clock = tempfile::tempdir().expect("clock dir");
    let shift = clock.path().join("shift");
    std::fs::write(&shift, "0").expect("clock shift");
    let mut launch =
        TestServer::launch().env("TANDEM_TEST_CLOCK_SHIFT_FILE", &shift.display().to_string());
    if let Some(url) = database {
        launch = launch.database(url);
    }
    let server = launch.start().await;
    let assistant = server.scripted_assistant("spender", spender()).await;
    let id = assistant.id.as_str().to_owned();

    // Bad budgets: refused, each with a reason.
    for (body, says) in [
        (json!({"monthly_micros": -5}), "more than nothing"),
        (json!({"monthly_micros": 0}), "more than nothing"),
        (json!({"monthly_micros": i64::MAX}), "at most"),
        (
            json!({"monthly_micros": USD, "warn_percent": 0}),
            "warn_percent",
        ),
        (
            json!({"monthly_micros": USD, "warn_percent": 101}),
            "warn_percent",
        ),
        (json!({"monthly_micros": "lots"}), "monthly_micros"),
    ] {
        let (status, answer) = server
            .put_json(&format!("/api/assistants/{id}/budget"), body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let (status, _) = server.delete(&format!("/api/assistants/{id}/budget")).await;
    assert_eq!(status, 404, "no budget to remove yet");
    let member = server.person("member").await;
    let (status, _) = server
        .post(
            &format!("/api/assistants/{id}/members"),
            json!({"user_id": member.id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, answer) = member
        .put_json(
            &format!("/api/assistants/{id}/budget"),
            json!({"monthly_micros": 100 * USD}),
        )
        .await;
    assert_eq!(status, 403, "only an admin sets budgets: {answer}");

    let (status, set) = server
        .put_json(
            &format!("/api/assistants/{id}/budget"),
            json!({"monthly_micros": USD}),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set[0]["warn_percent"], 80);
    assert_eq!(set[0]["standing"], "under");

    // 0.85 of 1.00: the warning, said once.
    let first = server.start_session(&assistant, "spend").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&first.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let now = standing(&server, &id).await;
    assert_eq!(now["spent_micros"], 850_000, "{now}");
    assert_eq!(now["standing"], "warning");
    let lines = chat_lines(&server, &id).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("past its 80 % warning"), "{lines:?}");
    assert!(
        lines[0].contains("$0.85 of spender's monthly budget of $1.00"),
        "{lines:?}"
    );

    // 0.20 more reaches it mid-turn: the session pauses, saying why.
    let second = server.start_session(&assistant, "spend more").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&second.id, Seq::ZERO).await;
    viewer.until_status(SessionStatus::Paused).await;
    let (_, summary) = server.get(&format!("/api/sessions/{}", second.id)).await;
    let reason = summary["status_reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("budget reached: $1.05"), "{summary}");
    let lines = chat_lines(&server, &id).await;
    assert_eq!(lines.len(), 2, "the limit said once: {lines:?}");
    assert!(lines[1].starts_with("Budget reached"), "{lines:?}");
    // Paused, the agent says nothing more.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(!viewer.agent_text().contains("after the pause"));

    // While it is reached, a new session and a member's resume are
    // refused. (A chat message goes into the paused session as a
    // follow-up, as into any live one: it waits there.)
    let (status, refused) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": id, "prompt": "a new one"}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("budget reached"), "{refused}");
    let (status, refused) = member
        .post(&format!("/api/sessions/{}/resume", second.id), json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("an admin can"), "{refused}");

    // An admin raises the budget: the session resumes and finishes.
    let (status, raised) = server
        .put_json(
            &format!("/api/assistants/{id}/budget"),
            json!({"monthly_micros": 5 * USD}),
        )
        .await;
    assert_eq!(status, 200, "{raised}");
    assert_eq!(raised[0]["standing"], "under");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert!(viewer.agent_text().contains("after the pause"));

    // Back to 1.00: reached again, so a wake is refused…
    server
        .put_json(
            &format!("/api/assistants/{id}/budget"),
            json!({"monthly_micros": USD}),
        )
        .await;
    // A wake is refused with the reason, in its log and the chat.
    let (status, wake) = server
        .post(
            &format!("/api/assistants/{id}/chat"),
            json!({"text": "more please"}),
        )
        .await;
    assert_eq!(status, 202, "{wake}");
    assert_eq!(wake["state"], "refused", "{wake}");
    assert!(wake.get("session_id").is_none(), "{wake}");
    assert!(
        wake["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("budget reached"),
        "{wake}"
    );
    let (_, wakes) = server.get(&format!("/api/assistants/{id}/wakes")).await;
    assert_eq!(wakes[0]["state"], "refused", "{wakes}");
    let lines = chat_lines(&server, &id).await;
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("Not woken by") && l.contains("more please")),
        "{lines:?}"
    );

    // …until the month turns: Tandem's clock moved to the next month.
    let month = standing(&server, &id).await["month"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    std::fs::write(&shift, (32 * 86_400_000i64).to_string()).expect("shift");
    let next = standing(&server, &id).await;
    assert_ne!(next["month"], month.as_str(), "{next}");
    assert_eq!(next["spent_micros"], 0, "{next}");
    assert_eq!(next["standing"], "under");
    let (_, wake) = server
        .post(
            &format!("/api/assistants/{id}/chat"),
            json!({"text": "a new month"}),
        )
        .await;
    assert_eq!(wake["state"], "started", "{wake}");
    assert!(
        wake["at"].as_i64().unwrap_or(0) > now_ms + 31 * 86_400_000,
        "{wake}"
    );
    let session = SessionId(wake["session_id"].as_str().unwrap_or_default().to_owned());
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    // Tandem-wide, and the list of budgets a member sees.
    let (status, team) = server
        .put_json(
            "/api/budgets/team",
            json!({"monthly_micros": 1000 * USD, "warn_percent": 90}),
        )
        .await;
    assert_eq!(status, 200, "{team}");
    let (status, seen) = member.get("/api/budgets").await;
    assert_eq!(status, 200, "{seen}");
    let names: Vec<&str> = seen
        .as_array()
        .map(|all| all.iter().filter_map(|b| b["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        names.contains(&"Tandem") && names.contains(&"spender"),
        "{seen}"
    );
    let (status, _) = server.delete("/api/budgets/team").await;
    assert_eq!(status, 204);
}
