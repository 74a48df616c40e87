//! An assistant's secrets: set by members, sealed at rest, given to that
//! assistant's agent only, and never shown again by any response.

use crate::support::{TestServer, Viewer};
use serde_json::json;
use tandem_shared::{Seq, SessionStatus};

const KEY: &str = "sk-test-7f3a9c1e55d0b2a4";

#[tokio::test]
async fn a_secret_reaches_its_assistants_agent_and_nothing_else() {
    let server = TestServer::start().await;
    let turn = json!({"turns": [[{"do": "env", "name": "ANTHROPIC_API_KEY"}]]});
    let keeper = server.scripted_assistant("keeper", turn.clone()).await;
    let other = server.scripted_assistant("other", turn).await;
    let (status, body) = server
        .http
        .put(format!(
            "{}/api/assistants/{}/secrets/ANTHROPIC_API_KEY",
            server.url, keeper.id
        ))
        .json(&json!({"value": KEY}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .expect("put");
    assert_eq!(status, 204, "{body:?}");

    // Sealed at rest: the database never holds the value (checked before
    // any agent ran: this test's agent says its key, into the transcript).
    let db = std::fs::read(server.data_dir.join("tandem.db")).expect("db");
    let wal = std::fs::read(server.data_dir.join("tandem.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is in the database in the clear"
        );
    }

    // Its agent has it; another assistant's does not.
    for (assistant, wanted) in [
        (&keeper, format!("ANTHROPIC_API_KEY={KEY}")),
        (&other, "ANTHROPIC_API_KEY unset".to_owned()),
    ] {
        let session = server.start_session(assistant, "what key?").await;
        let mut viewer = Viewer::connect(&server).await;
        viewer.subscribe(&session.id, Seq::ZERO).await;
        assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
        assert!(
            viewer.agent_text().contains(&wanted),
            "{}",
            viewer.agent_text()
        );
    }

    // Names only, from every route that shows an assistant.
    let (_, listed) = server
        .get(&format!("/api/assistants/{}/secrets", keeper.id))
        .await;
    assert_eq!(listed[0]["name"], "ANTHROPIC_API_KEY");
    for path in [
        format!("/api/assistants/{}/secrets", keeper.id),
        format!("/api/assistants/{}", keeper.id),
        "/api/assistants".to_owned(),
        "/api/agents".to_owned(),
    ] {
        let (_, body) = server.get(&path).await;
        assert!(
            !body.to_string().contains(KEY),
            "{path} shows the key: {body}"
        );
    }
    // Replaced, then deleted.
    let put = |value: &str| {
        server
            .http
            .put(format!(
                "{}/api/assistants/{}/secrets/ANTHROPIC_API_KEY",
                server.url, keeper.id
            ))
            .json(&json!({ "value": value }))
            .send()
    };
    assert_eq!(put("sk-second").await.expect("put").status().as_u16(), 204);
    let (status, _) = server
        .delete(&format!(
            "/api/assistants/{}/secrets/ANTHROPIC_API_KEY",
            keeper.id
        ))
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .delete(&format!(
            "/api/assistants/{}/secrets/ANTHROPIC_API_KEY",
            keeper.id
        ))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_names_and_values_are_refused_and_strangers_see_nothing() {
    let server = TestServer::start().await;
    let assistant = server.scripted_assistant("guarded", json!({})).await;
    let url = |name: &str| {
        format!(
            "{}/api/assistants/{}/secrets/{name}",
            server.url, assistant.id
        )
    };
    for (name, value, wanted) in [
        ("lower_case", "x", "environment variable name"),
        ("LD_PRELOAD", "/tmp/evil.so", "cannot be a secret"),
        ("PATH", "/tmp", "cannot be a secret"),
        ("TANDEM_DATA_DIR", "/", "cannot be a secret"),
        ("GOOD_NAME", "", "1 to 8192 characters"),
    ] {
        let response = server
            .http
            .put(url(name))
            .json(&json!({ "value": value }))
            .send()
            .await
            .expect("put");
        assert_eq!(response.status().as_u16(), 400, "{name}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(wanted)),
            "{name}: {body}"
        );
    }
    let response = server
        .http
        .put(url("GOOD_NAME"))
        .json(&json!({"val": 1}))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status().as_u16(), 400, "a body without a value");
    let (_, listed) = server
        .get(&format!("/api/assistants/{}/secrets", assistant.id))
        .await;
    assert_eq!(listed, json!([]));

    let stranger = server.person("mallory").await;
    let (status, _) = stranger
        .get(&format!("/api/assistants/{}/secrets", assistant.id))
        .await;
    assert_eq!(status, 404);
    let response = stranger
        .http
        .put(url("OPENAI_API_KEY"))
        .json(&json!({"value": "mine now"}))
        .send()
        .await
        .expect("put");
    assert_eq!(
        response.status().as_u16(),
        404,
        "a stranger cannot plant a key"
    );
}
