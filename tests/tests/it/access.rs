//! Accounts and access: logging in, tokens, the same-origin rule, members
//! seeing only their assistants, approvals shared between members, and
//! read-only share links.

use crate::support::{Person, TestServer, Viewer, ADMIN, ADMIN_PASSWORD};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tandem_shared::api::{Assistant, ErrorCode};
use tandem_shared::ws::ServerMessage;
use tandem_shared::{EventBody, Seq, SessionStatus};
use tokio_tungstenite::tungstenite::Message;

/// Routes anyone may call without logging in.
const PUBLIC: &[&str] = &[
    "/api/health",
    "/api/auth/state",
    "/api/auth/setup",
    "/api/auth/login",
    "/api/share/{token}",
    "/api/share/{token}/events",
];

#[tokio::test]
async fn every_route_needs_credentials() {
    let server = TestServer::start().await;
    let (_, document) = server.get("/api/openapi.json").await;
    let paths = document["paths"].as_object().expect("paths");
    let anonymous = reqwest::Client::new();
    let mut checked = 0;
    for (path, operations) in paths {
        if PUBLIC.contains(&path.as_str()) {
            continue;
        }
        let concrete = path
            .replace("{id}", "x1")
            .replace("{user_id}", "x2")
            .replace("{link_id}", "x3");
        for method in operations.as_object().expect("operations").keys() {
            let url = format!("{}{concrete}", server.url);
            // A valid body, and one that is not JSON at all: credentials
            // are judged before the body is read.
            for body in [Some("{}"), Some("not json {"), None] {
                let request = match method.as_str() {
                    "get" => anonymous.get(&url),
                    "post" => anonymous.post(&url),
                    "put" => anonymous.put(&url),
                    "patch" => anonymous.patch(&url),
                    "delete" => anonymous.delete(&url),
                    other => panic!("unexpected method {other}"),
                };
                let request = match body {
                    Some(body) => request
                        .header("content-type", "application/json")
                        .body(body),
                    None => request.header("content-type", "text/plain").body("x"),
                };
                let response = request.send().await.expect("request");
                assert_eq!(
                    response.status().as_u16(),
                    401,
                    "{method} {path} without credentials, body {body:?}"
                );
                let body: Value = response.json().await.expect("json error");
                assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}");
                checked += 1;
            }
        }
    }
    assert!(checked > 120, "only {checked} route and body pairs checked");
    // A wrong or malformed token is no better than none.
    for header in ["Bearer tdm_nope", "Basic YWRtaW46YWRtaW4=", "Bearer"] {
        let response = anonymous
            .get(format!("{}/api/sessions", server.url))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{header}");
    }
    // The WebSocket too: the upgrade is accepted so the page can learn
    // why, then one typed error frame, then the close.
    let (mut socket, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("the upgrade is accepted");
    let first = tokio::time::timeout(crate::support::DEADLINE, socket.next())
        .await
        .expect("a first frame")
        .expect("a frame")
        .expect("not an error");
    let message: ServerMessage =
        serde_json::from_str(first.to_text().expect("text")).expect("a server message");
    assert!(
        matches!(
            message,
            ServerMessage::Error {
                code: ErrorCode::Unauthorized,
                session_id: None,
                ..
            }
        ),
        "{message:?}"
    );
    let rest = tokio::time::timeout(crate::support::DEADLINE, socket.next())
        .await
        .expect("the close");
    assert!(
        matches!(rest, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "nothing else is sent: {rest:?}"
    );
}

#[tokio::test]
async fn the_first_run_makes_one_admin_and_logs_them_in() {
    let server = TestServer::launch().without_accounts().start().await;
    let (status, state) = server.get("/api/auth/state").await;
    assert_eq!(status, 200);
    assert_eq!(state["setup_needed"], true);
    assert_eq!(state["user"], Value::Null);
    let client = reqwest::Client::new();
    let weak = client
        .post(format!("{}/api/auth/setup", server.url))
        .json(&json!({"name": "ada", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status().as_u16(), 400);
    let made = client
        .post(format!("{}/api/auth/setup", server.url))
        .json(&json!({"name": "ada", "password": "a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status().as_u16(), 201);
    let set_cookie = made.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let user: Value = made.json().await.unwrap();
    assert_eq!(user["admin"], true);
    assert!(user.get("password_hash").is_none());
    let again = client
        .post(format!("{}/api/auth/setup", server.url))
        .json(&json!({"name": "eve", "password": "a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409, "only the first account");
    let state: Value = client
        .get(format!("{}/api/auth/state", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["setup_needed"], false);
    assert_eq!(state["user"]["name"], "ada");
}

#[tokio::test]
async fn cookies_need_the_same_origin_and_logins_are_limited() {
    let server = TestServer::start().await;
    let (status, _) = server.login(ADMIN, "wrong password").await;
    assert_eq!(status, 401);
    let (status, _) = server.login("nobody", "wrong password").await;
    assert_eq!(status, 401);
    let elsewhere = reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.url))
        .header("origin", "http://evil.example")
        .json(&json!({"name": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status().as_u16(),
        403,
        "no logging in from another site"
    );
    let (status, cookie) = server.login(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200);
    let cookie = cookie.unwrap();
    let client = reqwest::Client::new();
    let journal = |origin: Option<&str>| {
        let mut request = client
            .post(format!("{}/api/tokens", server.url))
            .header("cookie", &cookie)
            .json(&json!({"name": "from a page"}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(journal(None).await.unwrap().status().as_u16(), 403);
    assert_eq!(
        journal(Some("http://evil.example"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        journal(Some(&server.url)).await.unwrap().status().as_u16(),
        201
    );
    // Reads need no Origin.
    let read = client
        .get(format!("{}/api/sessions", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    // Logging out ends that cookie.
    let out = client
        .post(format!("{}/api/auth/logout", server.url))
        .header("cookie", &cookie)
        .header("origin", &server.url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let after = client
        .get(format!("{}/api/sessions", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);
    // Guessing runs into the limit.
    let mut limited = false;
    for _ in 0..20 {
        let (status, _) = server.login(ADMIN, "guess").await;
        if status == 429 {
            limited = true;
            break;
        }
        assert_eq!(status, 401);
    }
    assert!(limited, "login attempts are rate-limited");
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_and_revoked_at_once() {
    let server = TestServer::start().await;
    let bob = server.person("bob").await;
    let (status, tokens) = bob.get("/api/tokens").await;
    assert_eq!(status, 200);
    let tokens = tokens.as_array().unwrap().clone();
    assert_eq!(tokens.len(), 1);
    assert!(!tokens[0].to_string().contains(&bob.token));
    let (status, _) = bob.post("/api/tokens", json!({"name": ""})).await;
    assert_eq!(status, 400);
    // The admin cannot revoke bob's token as if it were theirs.
    let id = tokens[0]["id"].as_str().unwrap();
    let (status, _) = server.delete(&format!("/api/tokens/{id}")).await;
    assert_eq!(status, 404);
    // A socket opened with the token lives only as long as the token.
    let mut socket = Viewer::connect_as(&server, &bob.token).await;
    socket
        .until("the badge count", |v| v.pending_approvals.is_some())
        .await;
    let response = bob
        .http
        .delete(format!("{}/api/tokens/{id}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = bob.get("/api/sessions").await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    socket.until_closed().await;
    assert_eq!(
        socket.errors.last().map(|(code, _)| *code),
        Some(ErrorCode::Unauthorized),
        "the socket is told why it ends: {:?}",
        socket.errors
    );
}

#[tokio::test]
async fn people_see_only_the_assistants_they_belong_to() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let mallory = server.person("mallory").await;
    let assistant = server
        .scripted_assistant(
            "private",
            json!({"turns": [[{"do": "message", "text": "done"}]]}),
        )
        .await;
    add_member(&server, &assistant, &alice).await;
    let session = server.start_session(&assistant, "hello").await;

    let (status, list) = mallory.get("/api/assistants").await;
    assert_eq!(status, 200);
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let (_, sessions) = mallory.get("/api/sessions").await;
    assert!(sessions.as_array().unwrap().is_empty(), "{sessions}");
    let (_, sessions) = alice.get("/api/sessions").await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    // Settings' list of share links: members see the session's, others none.
    let (status, _) = server
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, links) = alice.get("/api/share-links").await;
    assert_eq!(links[0]["session_id"], session.id.0.as_str(), "{links}");
    let (_, links) = mallory.get("/api/share-links").await;
    assert_eq!(links, json!([]));

    let a = &assistant.id;
    let s = &session.id;
    for path in [
        format!("/api/assistants/{a}"),
        format!("/api/assistants/{a}/chat"),
        format!("/api/assistants/{a}/journal"),
        format!("/api/assistants/{a}/wakes"),
        format!("/api/assistants/{a}/routines"),
        format!("/api/assistants/{a}/rules"),
        format!("/api/assistants/{a}/members"),
        format!("/api/sessions/{s}"),
        format!("/api/sessions/{s}/events"),
        format!("/api/sessions/{s}/share-links"),
        format!("/api/sessions/{s}/changes"),
        format!("/api/assistants/{a}/worktrees"),
    ] {
        let (status, body) = mallory.get(&path).await;
        assert_eq!(status, 404, "GET {path}: {body}");
        let (status, _) = alice.get(&path).await;
        assert_eq!(status, 200, "a member reads {path}");
    }
    for (path, body) in [
        (format!("/api/assistants/{a}/chat"), json!({"text": "hi"})),
        (
            format!("/api/assistants/{a}/heartbeat"),
            json!({"message": "hi"}),
        ),
        (format!("/api/sessions/{s}/messages"), json!({"text": "hi"})),
        (format!("/api/sessions/{s}/stop"), json!({})),
        (format!("/api/sessions/{s}/share-links"), json!({})),
        (
            format!("/api/sessions/{s}/review"),
            json!({"comments": [{"path": "a", "start_line": 1, "end_line": 1, "text": "x"}]}),
        ),
        (
            format!("/api/sessions/{s}/land"),
            json!({"action": "discard"}),
        ),
        (
            "/api/sessions".to_owned(),
            json!({"assistant_id": a, "prompt": "hi"}),
        ),
        (
            "/api/tasks".to_owned(),
            json!({"title": "t", "assignee_id": a}),
        ),
    ] {
        let (status, body) = mallory.post(&path, body).await;
        assert!(
            status == 404 || status == 400,
            "POST {path} by a non-member: {status} {body}"
        );
        assert!(
            body.to_string().contains("no assistant") || body.to_string().contains("no session"),
            "{body}"
        );
    }
    // Admin-only settings.
    let (status, _) = alice
        .post(
            "/api/users",
            json!({"name": "x", "password": "long enough"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = alice
        .post(
            "/api/rules",
            json!({"kind": "execute", "prefix": "rm", "action": "block"}),
        )
        .await;
    assert_eq!(status, 403);
    let response = alice
        .http
        .put(format!("{}/api/settings/constitution", server.url))
        .json(&json!({"text": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // Over the WebSocket: a non-member's subscription reads as not found,
    // and the sidebar never shows the session.
    let mut outsider = Viewer::connect_as(&server, &mallory.token).await;
    outsider.subscribe(&session.id, Seq::ZERO).await;
    outsider
        .until("the refusal", |v| !v.errors.is_empty())
        .await;
    assert_eq!(outsider.errors[0].0, ErrorCode::NotFound);
    assert!(outsider.events.is_empty());
    let mut member = Viewer::connect_as(&server, &alice.token).await;
    member.subscribe(&session.id, Seq::ZERO).await;
    member.until_ended().await;
    let second = server.start_session(&assistant, "again").await;
    member
        .until("the new session in the sidebar", |v| {
            v.sidebar.iter().any(|s| s.id == second.id)
        })
        .await;
    outsider.subscribe(&second.id, Seq::ZERO).await;
    outsider
        .until("the second refusal", |v| v.errors.len() == 2)
        .await;
    assert!(
        outsider
            .sidebar
            .iter()
            .all(|s| s.assistant_id != assistant.id),
        "no sidebar entry leaks"
    );

    // Removing a member ends what they were watching.
    let mut watching = Viewer::connect_as(&server, &alice.token).await;
    watching.subscribe(&second.id, Seq::ZERO).await;
    watching
        .until("the transcript", |v| !v.events.is_empty())
        .await;
    let (status, _) = server
        .delete(&format!("/api/assistants/{a}/members/{}", alice.id))
        .await;
    assert_eq!(status, 200);
    watching
        .until("the subscription to end", |v| !v.errors.is_empty())
        .await;
    let (status, _) = alice.get(&format!("/api/sessions/{s}")).await;
    assert_eq!(status, 404);
    let (status, body) = server
        .post(
            &format!("/api/assistants/{a}/members"),
            json!({"user_id": "usr_nobody"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = server
        .post(
            &format!("/api/assistants/{a}/members"),
            json!({"user": "x"}),
        )
        .await;
    assert_eq!(status, 400, "malformed body");
}

async fn add_member(server: &TestServer, assistant: &Assistant, person: &Person) {
    let (status, members) = server
        .post(
            &format!("/api/assistants/{}/members", assistant.id),
            json!({"user_id": person.id}),
        )
        .await;
    assert_eq!(status, 200, "{members}");
    assert!(members.to_string().contains(&person.name));
}

#[tokio::test]
async fn both_members_see_an_approval_and_the_first_answer_wins() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let bob = server.person("bob").await;
    let carol = server.person("carol").await;
    let assistant = server
        .scripted_assistant(
            "shared",
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": "Deploy", "kind": "execute"},
                {"do": "message", "text": "deployed"}
            ]]}),
        )
        .await;
    add_member(&server, &assistant, &alice).await;
    add_member(&server, &assistant, &bob).await;
    let mut alice_view = Viewer::connect_as(&server, &alice.token).await;
    let mut bob_view = Viewer::connect_as(&server, &bob.token).await;
    let mut carol_view = Viewer::connect_as(&server, &carol.token).await;
    // Counted once per change for each who sees the same approvals: a
    // second socket of alice's and an admin's get their own right count.
    let mut alice_again = Viewer::connect_as(&server, &alice.token).await;
    let mut admin_view = Viewer::connect(&server).await;
    for view in [
        &mut alice_view,
        &mut bob_view,
        &mut carol_view,
        &mut alice_again,
        &mut admin_view,
    ] {
        view.until("the first count", |v| v.pending_approvals == Some(0))
            .await;
    }
    let session = server.start_session(&assistant, "deploy").await;
    alice_view.subscribe(&session.id, Seq::ZERO).await;
    bob_view.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = alice_view.until_approval().await;
    let (bob_sees, _) = bob_view.until_approval().await;
    assert_eq!(approval, bob_sees);
    for view in [
        &mut alice_view,
        &mut bob_view,
        &mut alice_again,
        &mut admin_view,
    ] {
        view.until("the badge to count it", |v| v.pending_approvals == Some(1))
            .await;
    }
    let (_, pending) = carol.get("/api/approvals").await;
    assert!(pending.as_array().unwrap().is_empty(), "{pending}");
    let (status, _) = carol
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 404, "a non-member cannot answer");

    let (status, body) = bob
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = alice
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("by bob"),
        "{body}"
    );
    alice_view.until_ended().await;
    let decided_by = alice_view.events.iter().find_map(|e| match &e.body {
        EventBody::PermissionDecision { by, .. } => by.clone(),
        _ => None,
    });
    assert_eq!(
        decided_by.as_deref(),
        Some("bob"),
        "alice sees who answered"
    );
    for view in [&mut alice_view, &mut alice_again, &mut admin_view] {
        view.until("the badge to clear", |v| v.pending_approvals == Some(0))
            .await;
    }
    assert_eq!(carol_view.pending_approvals, Some(0));
    let started_by = alice_view.events.iter().find_map(|e| match &e.body {
        EventBody::UserMessage { author, .. } => author.clone(),
        _ => None,
    });
    assert_eq!(
        started_by.as_deref(),
        Some(ADMIN),
        "messages name their author"
    );
}

#[tokio::test]
async fn a_share_link_reads_one_session_live_and_dies_on_revoke() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "shared",
            json!({"turns": [[
                {"do": "message", "text": "<script>alert(1)</script> first"},
                {"do": "permission", "id": "p1", "title": "Go on", "kind": "execute"},
                {"do": "message", "text": "second"}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "share me").await;
    let other = server.start_session(&assistant, "not shared").await;
    let (status, created) = server
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({"expires_in_hours": 24}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let path = created["path"].as_str().unwrap().to_owned();
    let token = path.trim_start_matches("/s/").to_owned();
    assert!(token.len() >= 43, "256 bits: {token}");
    let (status, _) = server
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({"expires_in_hours": 0}),
        )
        .await;
    assert_eq!(status, 400);

    let anonymous = reqwest::Client::new();
    let shared: Value = anonymous
        .get(format!("{}/api/share/{token}", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shared["session"]["id"], session.id.0.as_str());
    // The token opens nothing else.
    let response = anonymous
        .get(format!("{}/api/sessions/{}", server.url, session.id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    for path in ["changes", "review", "land"] {
        let url = format!("{}/api/sessions/{}/{path}", server.url, session.id);
        let response = anonymous
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let read = response.status().as_u16();
        let response = anonymous
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"action": "discard"}))
            .send()
            .await
            .unwrap();
        let written = response.status().as_u16();
        assert!(
            [401, 405].contains(&read) && [401, 405].contains(&written),
            "a share link's token on {path}: {read} {written}"
        );
    }
    let response = anonymous
        .get(format!("{}/api/share/tds_wrong", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let mut reader = Viewer::connect_share(&server, &path).await;
    reader.subscribe(&other.id, Seq::ZERO).await;
    reader.until("a refusal", |v| !v.errors.is_empty()).await;
    assert_eq!(reader.errors[0].0, ErrorCode::NotFound);
    reader.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = reader.until_approval().await;
    // Live: the reader sees what happens after it connected.
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(reader.until_ended().await, SessionStatus::Completed);
    assert!(reader.agent_text().contains("second"));
    assert!(reader.sidebar.is_empty(), "no sidebar for a link");
    assert_eq!(reader.pending_approvals, None, "no badge for a link");

    let (_, links) = server
        .get(&format!("/api/sessions/{}/share-links", session.id))
        .await;
    let link_id = links[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(links[0]["created_by"], ADMIN);
    let (status, _) = server
        .delete(&format!(
            "/api/sessions/{}/share-links/{link_id}",
            session.id
        ))
        .await;
    assert_eq!(status, 204);
    reader
        .until("the link to die", |v| {
            v.errors
                .iter()
                .any(|(code, _)| *code == ErrorCode::LinkRevoked)
        })
        .await;
    let response = anonymous
        .get(format!("{}/api/share/{token}/events", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404, "revoked at once");
}

#[tokio::test]
async fn changing_a_password_ends_other_logins_and_bad_cli_input_is_refused() {
    let server = TestServer::start().await;
    let (_, first) = server.login(ADMIN, ADMIN_PASSWORD).await;
    let (_, second) = server.login(ADMIN, ADMIN_PASSWORD).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    let client = reqwest::Client::new();
    let change = |current: &str, new: &str| {
        client
            .post(format!("{}/api/auth/password", server.url))
            .header("cookie", &first)
            .header("origin", &server.url)
            .json(&json!({"current": current, "new": new}))
            .send()
    };
    assert_eq!(
        change("wrong", "a new password")
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        change(ADMIN_PASSWORD, "short")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    assert_eq!(
        change(ADMIN_PASSWORD, "a new password")
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    let read = |cookie: String| {
        let client = client.clone();
        let url = format!("{}/api/sessions", server.url);
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(read(first.clone()).await, 200, "this login goes on");
    assert_eq!(read(second).await, 401, "other logins end");
    assert_eq!(server.login(ADMIN, ADMIN_PASSWORD).await.0, 401);
    assert_eq!(server.login(ADMIN, "a new password").await.0, 200);

    // The command line refuses bad input with a reason, and changes nothing.
    let output = tokio::process::Command::new(crate::support::tandem_bin())
        .args(["user", "add", "bad name"])
        .arg("--data-dir")
        .arg(&server.data_dir)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("name"));
    let output = tokio::process::Command::new(crate::support::tandem_bin())
        .args(["token", "create", "--user", "nobody"])
        .arg("--data-dir")
        .arg(&server.data_dir)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nobody"));
    let (_, users) = server.get("/api/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1);
}

/// A page on another site, riding a member's login cookie, cannot change an
/// agent's mode or defaults, its secrets, check it, or make workspaces.
#[tokio::test]
async fn another_site_cannot_change_agents_secrets_or_workspaces() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "guarded",
            json!({"turns": [[{"do": "message", "text": "ok"}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "hi").await;
    let (_, cookie) = server.login(ADMIN, ADMIN_PASSWORD).await;
    let cookie = cookie.unwrap();
    let root = server.data_dir.join("workspaces").canonicalize().unwrap();
    let client = reqwest::Client::new();
    for (method, path, body) in [
        (
            "POST",
            format!("/api/sessions/{}/choices", session.id),
            json!({"setting": "mode", "mode": "auto"}),
        ),
        (
            "POST",
            format!("/api/assistants/{}/choices", assistant.id),
            json!({"setting": "mode", "mode": "auto"}),
        ),
        (
            "PUT",
            format!("/api/assistants/{}/secrets/API_KEY", assistant.id),
            json!({"value": "x"}),
        ),
        (
            "DELETE",
            format!("/api/assistants/{}/secrets/API_KEY", assistant.id),
            json!(null),
        ),
        (
            "POST",
            format!("/api/assistants/{}/check", assistant.id),
            json!({}),
        ),
        (
            "PATCH",
            format!("/api/assistants/{}", assistant.id),
            json!({"name": "taken"}),
        ),
        (
            "POST",
            format!("/api/sessions/{}/land", session.id),
            json!({"action": "discard"}),
        ),
        (
            "POST",
            format!("/api/sessions/{}/review", session.id),
            json!({"comments": [{"path": "a", "start_line": 1, "end_line": 1, "text": "x"}]}),
        ),
        (
            "POST",
            "/api/agents/check".to_owned(),
            json!({"agent": {"kind": "shell"}}),
        ),
        (
            "POST",
            "/api/workspaces".to_owned(),
            json!({"parent": root, "name": "planted"}),
        ),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method.clone(), format!("{}{path}", server.url))
            .header("cookie", &cookie)
            .header("origin", "http://evil.example")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{method} {path}");
    }
    assert!(!root.join("planted").exists());
    let (_, kept) = server
        .get(&format!("/api/assistants/{}/choices", assistant.id))
        .await;
    assert_eq!(kept, json!([]));
    let (_, secrets) = server
        .get(&format!("/api/assistants/{}/secrets", assistant.id))
        .await;
    assert_eq!(secrets, json!([]));
    let (_, me) = server
        .get(&format!("/api/assistants/{}", assistant.id))
        .await;
    assert_eq!(me["name"], "guarded");
}

/// A share link lives only while its maker may see the session: removing
/// the maker from the assistant ends the link, its open socket included.
#[tokio::test]
async fn a_share_link_dies_with_its_makers_access() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let assistant = server
        .scripted_assistant("shared", json!({"turns": [[{"do": "echo_prompt"}]]}))
        .await;
    let a = &assistant.id;
    let (status, body) = server
        .post(
            &format!("/api/assistants/{a}/members"),
            json!({"user_id": alice.id}),
        )
        .await;
    assert!(status < 300, "{body}");
    let session = server.start_session(&assistant, "hello there").await;
    let (status, created) = alice
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let path = created["path"].as_str().expect("a path").to_owned();
    let token = path.trim_start_matches("/s/").to_owned();
    let mut reader = Viewer::connect_share(&server, &path).await;
    reader.subscribe(&session.id, Seq::ZERO).await;
    reader.until_ended().await;
    assert!(reader.agent_text().contains("hello there"));

    let (status, _) = server
        .delete(&format!("/api/assistants/{a}/members/{}", alice.id))
        .await;
    assert!(status < 300);
    reader
        .until("the link to die", |v| {
            v.errors
                .iter()
                .any(|(code, _)| *code == ErrorCode::LinkRevoked)
        })
        .await;
    reader.until_closed().await;
    let response = reqwest::get(format!("{}/api/share/{token}", server.url))
        .await
        .expect("request");
    assert_eq!(
        response.status().as_u16(),
        404,
        "dead with its maker's access"
    );
    let (_, links) = server
        .get(&format!("/api/sessions/{}/share-links", session.id))
        .await;
    assert_eq!(links, json!([]), "no longer listed as live");
    // The admin's own link of the same session still works.
    let (status, created) = server
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let token = created["path"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("/s/");
    let response = reqwest::get(format!("{}/api/share/{token}", server.url))
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
}

/// Anyone with a share link may watch, but one address cannot open share
/// sockets without end: past the cap a socket is told why and closed, and
/// a place comes back when a socket closes.
#[tokio::test]
async fn share_link_sockets_are_capped_per_address() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, "echo hi").await;
    let (status, created) = server
        .post(
            &format!("/api/sessions/{}/share-links", session.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let path = created["path"].as_str().expect("path").to_owned();
    let mut open = Vec::new();
    for _ in 0..20 {
        let mut reader = Viewer::connect_share(&server, &path).await;
        reader.subscribe(&session.id, Seq::ZERO).await;
        reader
            .until("its first events", |v| !v.events.is_empty())
            .await;
        open.push(reader);
    }
    let mut refused = Viewer::connect_share(&server, &path).await;
    refused.until_closed().await;
    assert_eq!(
        refused.errors.first().map(|(code, _)| *code),
        Some(ErrorCode::TooManyRequests),
        "{:?}",
        refused.errors
    );
    drop(open.pop());
    let mut again = None;
    for _ in 0..50 {
        let mut reader = Viewer::connect_share(&server, &path).await;
        reader.subscribe(&session.id, Seq::ZERO).await;
        if tokio::time::timeout(
            std::time::Duration::from_millis(500),
            reader.until("events", |v| !v.events.is_empty() || !v.errors.is_empty()),
        )
        .await
        .is_ok()
            && reader.errors.is_empty()
        {
            again = Some(reader);
            break;
        }
    }
    assert!(again.is_some(), "a closed socket gives its place back");
}
