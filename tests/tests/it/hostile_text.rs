//! One behaviour on both databases for text from outside: NUL is refused
//! with the field it is in (PostgreSQL cannot store it, SQLite could), lone
//! surrogates and arrays for objects are refused, names and titles take no
//! direction overrides, and everything else — SQL metacharacters, 1 MB
//! strings, right-to-left text — is kept exactly, on SQLite and PostgreSQL.

use crate::support::{fresh_postgres, TestServer};
use serde_json::{json, Value};

const SQL: &str = "Robert'); DROP TABLE users;-- \" \\ % _ $1 ?";
const RTL: &str = "שלום \u{202E}txt.exe\u{202C} مرحبا";

async fn raw_post(server: &TestServer, path: &str, body: &str) -> (u16, Value) {
    let response = server
        .http
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn hostile_text_round_trips(server: TestServer) {
    let big = "x".repeat(1_000_000);
    let persona = format!("{SQL}\n{RTL}");
    let demo = server.demo_assistant().await;

    // Refused, naming the field, the same on both databases.
    for (path, body, says) in [
        (
            "/api/tasks",
            r#"{"title": "a\u0000b"}"#.to_owned(),
            "title: contains a NUL character",
        ),
        (
            "/api/tasks",
            r#"{"title": "ok", "body": "\u0000"}"#.to_owned(),
            "body: contains a NUL character",
        ),
        (
            "/api/sessions",
            format!(r#"{{"assistant_id": "{}", "prompt": "hi\u0000"}}"#, demo.id),
            "prompt: contains a NUL character",
        ),
        (
            &format!("/api/assistants/{}/chat", demo.id),
            r#"{"text": "\ud800"}"#.to_owned(),
            "text: unexpected end of hex escape",
        ),
        (
            "/api/tasks",
            r#"["a task", "", "todo"]"#.to_owned(),
            "must be a JSON object",
        ),
        (
            "/api/tasks",
            format!(r#"{{"title": "{}"}}"#, "invoice\u{202E}fdp.exe"),
            "title: must not contain control or text-direction characters",
        ),
    ] {
        let (status, answer) = raw_post(&server, path, &body).await;
        assert_eq!(status, 400, "{path} {body:.80}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{path}: {message}");
    }
    for path in [
        "/api/sessions?q=%00",
        "/api/tasks/%00",
        "/api/sessions/a%00b",
    ] {
        let (status, answer) = server.get(path).await;
        assert_eq!(status, 400, "{path}: {answer}");
    }

    // Kept exactly.
    let (status, assistant) = server
        .post(
            "/api/assistants",
            json!({"name": SQL, "workspace": server.data_dir.join("workspaces").join("demo"),
                   "persona": persona, "agent": {"kind": "codex"}}),
        )
        .await;
    assert_eq!(status, 201, "{assistant:.200}");
    let id = assistant["id"].as_str().expect("id").to_owned();
    let (_, read) = server.get(&format!("/api/assistants/{id}")).await;
    assert_eq!(read["name"], SQL);
    assert_eq!(read["persona"].as_str().map(str::len), Some(persona.len()));
    assert_eq!(read["persona"], persona.as_str());

    let body = format!("{RTL}\n{}", &big[..49_000]);
    let (status, answer) = server
        .post("/api/tasks", json!({"title": "big", "body": big}))
        .await;
    assert_eq!(
        status, 400,
        "a 1 MB body is over the field's bound: {answer:.200}"
    );
    let (status, task) = server
        .post("/api/tasks", json!({"title": SQL, "body": body}))
        .await;
    assert_eq!(status, 201, "{task:.200}");
    let (_, read) = server
        .get(&format!("/api/tasks/{}", task["id"].as_str().unwrap_or("")))
        .await;
    assert_eq!((&read["title"], &read["body"]), (&json!(SQL), &json!(body)));

    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/chat", demo.id),
            json!({"text": format!("echo '{SQL}' {RTL}")}),
        )
        .await;
    assert_eq!(status, 202);
    let (_, chat) = server
        .get(&format!("/api/assistants/{}/chat", demo.id))
        .await;
    assert!(
        chat.to_string().contains(&json!(RTL).to_string()[1..10]),
        "{chat:.300}"
    );

    // An agent's NUL is replaced, not stored nor fatal: its summary lands.
    let agent = server
        .scripted_assistant(
            "nul",
            json!({"turns": [[{"do": "message", "text": "before\u{0}after"}]]}),
        )
        .await;
    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/chat", agent.id),
            json!({"text": "say it"}),
        )
        .await;
    assert_eq!(status, 202);
    let chat = crate::support::until_json(
        &server,
        &format!("/api/assistants/{}/chat", agent.id),
        "the summary",
        |chat| chat.to_string().contains("\"summary\""),
    )
    .await;
    let said = chat.to_string();
    assert!(said.contains("before\u{FFFD}after"), "{said}");

    for q in [SQL, "'", "%", "_", RTL] {
        let (status, found) = server
            .get(&format!("/api/sessions?q={}", urlencode(q)))
            .await;
        assert_eq!(status, 200, "q={q}: {found}");
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn hostile_text_on_sqlite() {
    hostile_text_round_trips(TestServer::start().await).await;
}

#[tokio::test]
async fn hostile_text_on_postgres() {
    let url = fresh_postgres().await;
    hostile_text_round_trips(TestServer::launch().database(url).start().await).await;
}
