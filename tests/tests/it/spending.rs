//! What sessions spend: the test agent reports tokens (in its prompt
//! results, as Claude's adapter does) and a running cost (`usage_update`),
//! and the roll-ups add up to the `spend` events on both databases.

use crate::support::{fresh_postgres, Person, TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::api::Assistant;
use tandem_shared::spend::Spent;
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};

/// A turn as Claude's adapter reports it: a usage update per model call,
/// the running cost at the end, the turn's tokens in the result.
fn claude_like_turn(cost_so_far: f64, input: u64, output: u64) -> Value {
    json!([
        {"do": "message", "text": "working"},
        {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 1000, "size": 200000}},
        {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 1200, "size": 200000,
            "cost": {"amount": cost_so_far, "currency": "USD"}}},
        {"do": "turn_usage", "usage": {"inputTokens": input, "outputTokens": output,
            "cachedReadTokens": 1000, "totalTokens": input + output + 1000}}
    ])
}

async fn run_to_end(server: &TestServer, assistant: &Assistant, prompt: &str) -> SessionId {
    let session = server.start_session(assistant, prompt).await;
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    session.id
}

async fn spent_in(server: &TestServer, session: &SessionId) -> Spent {
    let mut spent = Spent::default();
    for event in server.all_events(session).await {
        if let EventBody::Spend { spend } = &event.body {
            spent.add(spend);
        }
    }
    spent
}

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("no row {key} in {report:#}"))
}

async fn check_roll_ups(server: TestServer) {
    // Two turns in one session: the running cost grows 0.01 → 0.035.
    let claude = server
        .scripted_assistant(
            "claude-like",
            json!({"turns": [claude_like_turn(0.01, 1200, 80), claude_like_turn(0.035, 300, 20)]}),
        )
        .await;
    // Tokens only, and a usage update with no cost (Codex's shape).
    let codex = server
        .scripted_assistant(
            "codex-like",
            json!({"turns": [[
                {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 10, "size": 100}},
                {"do": "turn_usage", "usage": {"inputTokens": 500, "outputTokens": 50}}
            ]]}),
        )
        .await;
    let first = run_to_end(&server, &claude, "one").await;
    // A second session: a new agent process whose running cost starts
    // over (its first report, 0.035 again, is all new).
    let second = run_to_end(&server, &claude, "two").await;
    let third = run_to_end(&server, &codex, "three").await;

    let first_spent = spent_in(&server, &first).await;
    assert_eq!(first_spent.cost_micros, 10_000, "{first_spent:?}");
    assert_eq!(first_spent.tokens.input, 1200);
    assert_eq!(first_spent.tokens.cached_read, 1000);
    let second_spent = spent_in(&server, &second).await;
    assert_eq!(second_spent.cost_micros, 10_000);
    let third_spent = spent_in(&server, &third).await;
    assert_eq!(third_spent.cost_micros, 0);
    assert_eq!(third_spent.tokens.input, 500);

    // By assistant: the sums of the events.
    let (status, report) = server.get("/api/usage?by=assistant").await;
    assert_eq!(status, 200, "{report}");
    let claude_row = row(&report, claude.id.as_str());
    assert_eq!(claude_row["label"], "claude-like");
    assert_eq!(
        claude_row["cost_micros"],
        first_spent.cost_micros + second_spent.cost_micros
    );
    assert_eq!(
        claude_row["tokens"]["input"],
        first_spent.tokens.input + second_spent.tokens.input
    );
    assert_eq!(claude_row["tokens"]["output"], 160);
    let codex_row = row(&report, codex.id.as_str());
    assert_eq!(codex_row["cost_micros"], 0);
    assert_eq!(codex_row["tokens"]["input"], 500);
    assert_eq!(
        report["rows"][0]["key"],
        claude.id.as_str(),
        "costliest first"
    );
    assert_eq!(report["total"]["cost_micros"], 20_000);
    assert_eq!(report["total"]["tokens"]["input"], 1200 + 1200 + 500);
    assert_eq!(report["currency"], "USD");

    // By session, day, person, agent: each adds up to the same total.
    let (_, by_session) = server.get("/api/usage?by=session").await;
    assert_eq!(row(&by_session, first.as_str())["cost_micros"], 10_000);
    assert_eq!(row(&by_session, third.as_str())["tokens"]["output"], 50);
    for by in ["session", "day", "person", "agent", "model", "task"] {
        let (status, report) = server.get(&format!("/api/usage?by={by}")).await;
        assert_eq!(status, 200, "{by}: {report}");
        let rows = report["rows"].as_array().expect("rows");
        let cost: i64 = rows.iter().filter_map(|r| r["cost_micros"].as_i64()).sum();
        let input: u64 = rows
            .iter()
            .filter_map(|r| r["tokens"]["input"].as_u64())
            .sum();
        assert_eq!(cost, 20_000, "{by}: {report:#}");
        assert_eq!(input, 2900, "{by}");
    }
    let (_, by_day) = server.get("/api/usage?by=day").await;
    let today = by_day["rows"][0]["key"].as_str().expect("a day").to_owned();
    assert_eq!(today.len(), 10, "YYYY-MM-DD: {today}");
    let (_, by_person) = server.get("/api/usage?by=person").await;
    assert_eq!(by_person["rows"].as_array().map(Vec::len), Some(1));
    let (_, by_agent) = server.get("/api/usage?by=agent").await;
    assert_eq!(row(&by_agent, "custom")["tokens"]["input"], 2900);

    // Each day split by assistant: a stacked chart's numbers.
    let (status, stacked) = server.get("/api/usage?by=day&split=assistant").await;
    assert_eq!(status, 200, "{stacked}");
    let parts = stacked["rows"].as_array().expect("rows");
    assert_eq!(parts.len(), 2, "{stacked:#}");
    assert!(parts.iter().all(|p| p["key"] == today.as_str()));
    let claude_part = parts
        .iter()
        .find(|p| p["part_key"] == claude.id.as_str())
        .expect("claude's part");
    assert_eq!(claude_part["part_label"], "claude-like");
    assert_eq!(claude_part["cost_micros"], 20_000);
    let (status, _) = server.get("/api/usage?by=day&split=day").await;
    assert_eq!(status, 400);

    // A range before any of it: nothing.
    let (_, empty) = server.get("/api/usage?from=0&to=1000").await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["total"]["cost_micros"], 0);

    // CSV: a header, a line per assistant, the total.
    let response = reqwest::Client::new()
        .get(format!("{}/api/usage.csv?by=assistant", server.url))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/csv"));
    let csv = response.text().await.expect("csv text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("assistant,label,input_tokens"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("{},claude-like,2400,160,2000,", claude.id)),
        "{csv}"
    );
    assert!(lines[3].ends_with(",0.020000,0.000000,5"), "{csv}");

    // A person sees only the assistants they are a member of.
    let member = server.person("member").await;
    add_member(&server, &codex, &member).await;
    let (status, theirs) = member.get("/api/usage?by=assistant").await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(theirs["rows"].as_array().map(Vec::len), Some(1), "{theirs}");
    assert_eq!(theirs["rows"][0]["key"], codex.id.as_str());
    assert_eq!(theirs["total"]["cost_micros"], 0);

    // Bad input: a clear 400 each.
    for (query, says) in [
        ("by=everything", "by"),
        ("from=10&to=5", "before"),
        ("from=-5", "1970"),
        ("from=0&to=99999999999", "400 days"),
        ("from=soon", "from"),
    ] {
        let (status, body) = server.get(&format!("/api/usage?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{query}: {body}"
        );
    }
}

async fn add_member(server: &TestServer, assistant: &Assistant, person: &Person) {
    let (status, members) = server
        .post(
            &format!("/api/assistants/{}/members", assistant.id),
            json!({"user_id": person.id}),
        )
        .await;
    assert_eq!(status, 200, "{members}");
}

#[tokio::test]
async fn roll_ups_add_up_to_the_spend_events_on_sqlite() {
    check_roll_ups(TestServer::start().await).await;
}

#[tokio::test]
async fn roll_ups_add_up_to_the_spend_events_on_postgres() {
    let url = fresh_postgres().await;
    check_roll_ups(TestServer::launch().database(url).start().await).await;
}

/// An agent that reports tokens but no cost (Codex, Gemini): the price
/// table an admin keeps estimates it, marked apart from reported cost, and
/// budgets count it. A price for a model nobody used is kept with a note.
async fn check_prices(server: TestServer) {
    let tokens_only = server
        .scripted_assistant(
            "tokens-only",
            json!({
                "config_options": [{"id": "model", "name": "Model", "category": "model",
                    "type": "select", "currentValue": "gpt-test",
                    "options": [{"value": "gpt-test", "name": "GPT test"}]}],
                "turns": [[{"do": "turn_usage", "usage": {"inputTokens": 2_000_000,
                    "outputTokens": 100_000, "cachedReadTokens": 500_000}}]]
            }),
        )
        .await;
    run_to_end(&server, &tokens_only, "count").await;
    let (_, before) = server.get("/api/usage?by=model").await;
    assert_eq!(row(&before, "gpt-test")["estimated_micros"], 0, "{before}");

    // $1.25 in, $10 out, $0.125 cached per million tokens.
    let (status, saved) = server
        .put_json(
            "/api/prices/gpt-test",
            json!({"input_micros": 1_250_000, "output_micros": 10_000_000,
                   "cached_read_micros": 125_000}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved.get("note").is_none(), "a model in use: {saved}");
    let (_, after) = server.get("/api/usage?by=model").await;
    let model = row(&after, "gpt-test");
    assert_eq!(model["cost_micros"], 0, "nothing reported");
    assert_eq!(model["estimated_micros"], 3_562_500, "{after}");
    assert_eq!(after["total"]["estimated_micros"], 3_562_500);
    // Budgets count estimates.
    server
        .put_json(
            &format!("/api/assistants/{}/budget", tokens_only.id),
            json!({"monthly_micros": 10_000_000}),
        )
        .await;
    let (_, standing) = server
        .get(&format!("/api/assistants/{}/budget", tokens_only.id))
        .await;
    assert_eq!(standing[0]["spent_micros"], 3_562_500, "{standing}");
    let (_, prices) = server.get("/api/prices").await;
    assert_eq!(prices[0]["model"], "gpt-test");

    // A model nobody used: kept, with a note.
    let (status, saved) = server
        .put_json(
            "/api/prices/not-a-model",
            json!({"input_micros": 1, "output_micros": 1}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert!(
        saved["note"]
            .as_str()
            .unwrap_or_default()
            .contains("No session has reported"),
        "{saved}"
    );

    // Bad prices: refused, each with a reason; only admins change them.
    for (body, says) in [
        (
            json!({"input_micros": -1, "output_micros": 0}),
            "input_micros",
        ),
        (
            json!({"input_micros": 0, "output_micros": 2_000_000_000i64}),
            "output_micros",
        ),
        (
            json!({"input_micros": "cheap", "output_micros": 0}),
            "input_micros",
        ),
    ] {
        let (status, answer) = server.put_json("/api/prices/gpt-test", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let long = "m".repeat(201);
    let (status, _) = server
        .put_json(
            &format!("/api/prices/{long}"),
            json!({"input_micros": 1, "output_micros": 1}),
        )
        .await;
    assert_eq!(status, 400);
    let member = server.person("pricer").await;
    let (status, _) = member
        .put_json(
            "/api/prices/gpt-test",
            json!({"input_micros": 0, "output_micros": 0}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = server.delete("/api/prices/never-set").await;
    assert_eq!(status, 404);
    let (status, _) = server.delete("/api/prices/not-a-model").await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn prices_estimate_what_agents_report_only_in_tokens_on_sqlite() {
    check_prices(TestServer::start().await).await;
}

#[tokio::test]
async fn prices_estimate_what_agents_report_only_in_tokens_on_postgres() {
    let url = fresh_postgres().await;
    check_prices(TestServer::launch().database(url).start().await).await;
}
