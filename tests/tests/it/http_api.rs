//! The REST surface: happy paths, and every kind of bad input getting a
//! 4xx with a JSON error body.

use crate::support::TestServer;
use serde_json::{json, Value};

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

#[tokio::test]
async fn health_agents_and_openapi() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/api/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["database"], "sqlite");
    let (status, body) = server.get("/api/agents").await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["shell", "claude", "codex", "gemini", "custom"]);
    assert_eq!(body[0]["installed"], true);
    let (status, doc) = server.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/sessions",
        "/api/sessions/{id}/events",
        "/api/approvals/{id}/decision",
        "/api/assistants",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]
        .get("TranscriptEvent")
        .is_some());
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;

    let response = server
        .http
        .post(format!("{}/api/sessions", server.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "bad_request");

    let (status, body) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": demo.id, "prompt": "   "}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    assert!(body["error"]["message"].as_str().unwrap().contains("empty"));

    let (status, body) = server
        .post(
            "/api/sessions",
            json!({"assistant_id": "ast_nope", "prompt": "hi"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));

    let (status, body) = server.post("/api/sessions", json!({"prompt": "hi"})).await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));

    let (status, body) = server.get("/api/sessions/ses_nope").await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = server.get("/api/sessions/ses_nope/events").await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));

    let session = server.start_session(&demo, "true").await;
    let (status, body) = server
        .get(&format!("/api/sessions/{}/events?limit=0", session.id))
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    let (status, body) = server
        .get(&format!("/api/sessions/{}/events?after=minus", session.id))
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));

    let (status, body) = server
        .post(
            "/api/approvals/apr_nope/decision",
            json!({"option_id": "x"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));

    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "", "agent": {"kind": "shell"}, "workspace": "/tmp", "persona": "p"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("name"));
    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "x", "agent": {"kind": "shell"}, "workspace": "/does/not/exist", "persona": "p"}),
        )
        .await;
    // Well-formed, but not there: not found, as the document says.
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("workspace"));
    let (status, body) = server
        .post(
            "/api/assistants",
            json!({"name": "x", "agent": {"kind": "robot"}, "workspace": "/tmp", "persona": "p"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));

    let (status, body) = server.get("/api/no/such/route").await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let huge = "x".repeat(2 * 1024 * 1024);
    // Its own connection: the server answers 413 and closes it without
    // reading the rest, so it must not go back into a shared pool.
    let once = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = once
        .post(format!("{}/api/sessions", server.url))
        .bearer_auth(&server.token)
        .json(&json!({"assistant_id": demo.id, "prompt": huge}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!((status, error_code(&body)), (413, "payload_too_large"));
    let (status, _) = server.get("/api/sessions").await;
    assert_eq!(status, 200);
    let (_, sessions) = server.get("/api/sessions").await;
    assert_eq!(
        sessions.as_array().map(Vec::len),
        Some(0),
        "nothing half-created"
    );
}

#[tokio::test]
async fn events_are_paged_by_seq() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "pages",
            json!({"turns": [[{"do": "stream", "count": 50, "interval_ms": 0}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = crate::support::Viewer::connect(&server).await;
    viewer
        .subscribe(&session.id, tandem_shared::Seq::ZERO)
        .await;
    viewer.until_ended().await;
    let total = viewer.events.len() as u64;
    let (_, page) = server
        .get(&format!(
            "/api/sessions/{}/events?after=10&limit=5",
            session.id
        ))
        .await;
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![11, 12, 13, 14, 15]);
    assert_eq!(page["more"], true);
    let (_, page) = server
        .get(&format!(
            "/api/sessions/{}/events?after={}",
            session.id,
            total - 1
        ))
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["more"], false);
}

#[tokio::test]
async fn sessions_are_searched_filtered_and_archived_in_bulk() {
    use crate::support::Viewer;
    use tandem_shared::Seq;
    let server = TestServer::start().await;
    let alpha = server
        .scripted_assistant(
            "alpha",
            json!({"turns": [[{"do": "message", "text": "The Quick Brown fox"}]]}),
        )
        .await;
    let beta = server
        .scripted_assistant(
            "beta",
            json!({"turns": [[{"do": "message", "text": "a lazy dog"}, {"do": "wait_for_cancel"}]]}),
        )
        .await;
    let first = server.start_session(&alpha, "first errand").await;
    let second = server.start_session(&beta, "second errand").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&first.id, Seq::ZERO).await;
    viewer.until_ended().await;
    let mut watcher = Viewer::connect(&server).await;
    watcher.subscribe(&second.id, Seq::ZERO).await;
    watcher
        .until("the dog", |v| v.agent_text().contains("lazy dog"))
        .await;

    let ids = |body: &Value| -> Vec<String> {
        body.as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|s| s["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (status, found) = server.get("/api/sessions?q=brown%20FOX").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        ids(&found),
        vec![first.id.to_string()],
        "agent text, any case"
    );
    let (_, found) = server.get("/api/sessions?q=second").await;
    assert_eq!(ids(&found), vec![second.id.to_string()], "titles");
    let (_, found) = server.get("/api/sessions?q=%25").await;
    assert_eq!(ids(&found), Vec::<String>::new(), "% is taken literally");
    let (_, found) = server
        .get(&format!("/api/sessions?assistant_id={}", beta.id))
        .await;
    assert_eq!(ids(&found), vec![second.id.to_string()]);
    let (_, found) = server.get("/api/sessions?status=completed").await;
    assert_eq!(ids(&found), vec![first.id.to_string()]);

    // Archive: out of the list, into the archive, still found.
    let (status, body) = server
        .post(
            "/api/sessions/archive",
            json!({"session_ids": [first.id], "archived": true}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, listed) = server.get("/api/sessions").await;
    assert_eq!(ids(&listed), vec![second.id.to_string()]);
    let (_, archived) = server.get("/api/sessions?archived=true").await;
    assert_eq!(ids(&archived), vec![first.id.to_string()]);
    assert_eq!(archived[0]["archived"], true);
    let (_, found) = server.get("/api/sessions?q=quick").await;
    assert_eq!(ids(&found), vec![first.id.to_string()]);

    // Bad input: clear errors, nothing changed.
    for (body, code) in [
        (json!({"session_ids": [], "archived": true}), 400),
        (json!({"session_ids": ["ses_nope"], "archived": true}), 404),
        (json!({"session_ids": [second.id], "archived": true}), 409),
        (json!({"session_ids": "all", "archived": true}), 400),
    ] {
        let (status, answer) = server.post("/api/sessions/archive", body.clone()).await;
        assert_eq!(status, code, "{body} → {answer}");
        assert!(answer["error"]["message"].as_str().is_some(), "{answer}");
    }
    let (status, _) = server.get("/api/sessions?status=bogus").await;
    assert_eq!(status, 400);
    let (status, _) = server
        .get(&format!("/api/sessions?q={}", "x".repeat(201)))
        .await;
    assert_eq!(status, 400);
    let (_, listed) = server.get("/api/sessions").await;
    assert_eq!(
        ids(&listed),
        vec![second.id.to_string()],
        "the live one stays"
    );

    // And back.
    let (status, _) = server
        .post(
            "/api/sessions/archive",
            json!({"session_ids": [first.id], "archived": false}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, listed) = server.get("/api/sessions").await;
    assert_eq!(ids(&listed).len(), 2);
}
