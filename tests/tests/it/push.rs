//! Web Push against a push service of the tests' own on loopback: what
//! arrives is encrypted for the device (it decrypts with the
//! subscription's keys to the expected message), VAPID-signed, sent to
//! those who may answer and to nobody else; an answer from the
//! notification's button decides once; a subscription the service no
//! longer knows is dropped; bad subscriptions get clear errors.

use crate::support::{Person, TestServer, Viewer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_shared::api::{PushMessage, PushMessageKind};
use tandem_shared::Seq;
use web_push_native::p256;

/// What a push service received: path, headers, body.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
}

impl PushService {
    /// Answers 201 (taken), or 410 (gone) for paths under `/gone/`.
    async fn start(&self) -> String {
        let received = self.received.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let received = received.clone();
                async move {
                    let path = uri.path().to_owned();
                    let gone = path.starts_with("/gone/");
                    received.lock().unwrap().push(Received {
                        path,
                        headers,
                        body: body.to_vec(),
                    });
                    if gone {
                        axum::http::StatusCode::GONE
                    } else {
                        axum::http::StatusCode::CREATED
                    }
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn to(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    async fn until(&self, path: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.to(path);
            if got.len() >= count {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} pushes to {path}; got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A browser's side of a subscription: its key pair and auth secret.
struct Device {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Device {
    fn new(seed: u8) -> Device {
        Device {
            secret: p256::SecretKey::from_slice(&[seed; 32]).expect("a valid scalar"),
            auth: [seed.wrapping_add(1); 16],
        }
    }

    fn subscription(&self, endpoint: &str, name: &str) -> Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            },
            "device": name,
        })
    }

    fn open(&self, push: &Received) -> PushMessage {
        assert_eq!(
            push.headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("aes128gcm")
        );
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(push.body.clone(), &self.secret, &auth)
            .expect("the push decrypts with the device's keys");
        serde_json::from_slice(&plain).expect("a push message")
    }
}

async fn subscribe(person: &Person, body: Value) -> String {
    let (status, device) = person.post("/api/push/devices", body).await;
    assert_eq!(status, 201, "{device}");
    device["id"].as_str().expect("id").to_owned()
}

async fn add_member(server: &TestServer, assistant: &str, person: &Person) {
    let (status, body) = server
        .post(
            &format!("/api/assistants/{assistant}/members"),
            json!({"user_id": person.id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A push service of the test's own, and Tandem allowed to push to it.
async fn with_push_service() -> (PushService, String, TestServer) {
    let service = PushService::default();
    let base = service.start().await;
    let server = TestServer::launch()
        .env("TANDEM_PUSH_ALLOW_LOCAL", "true")
        .start()
        .await;
    (service, base, server)
}

/// An assistant whose agent asks once (`title`, `kind`), then says "Done."
async fn asking(
    server: &TestServer,
    name: &str,
    title: &str,
    kind: &str,
) -> tandem_shared::api::Assistant {
    server
        .scripted_assistant(
            name,
            json!({"turns": [[
                {"do": "permission", "id": "p1", "title": title, "kind": kind},
                {"do": "message", "text": "Done."}
            ]]}),
        )
        .await
}

#[tokio::test]
async fn pushes_reach_those_who_may_answer_encrypted_and_a_button_answers_once() {
    let (service, base, server) = with_push_service().await;
    let alice = server.person("alice").await;
    let carol = server.person("carol").await;
    let assistant = asking(&server, "deployer", "Deploy to production", "execute").await;
    add_member(&server, assistant.id.as_str(), &alice).await;

    let (status, key) = alice.get("/api/push/key").await;
    assert_eq!(status, 200);
    let key = URL_SAFE_NO_PAD
        .decode(key["public_key"].as_str().expect("key"))
        .expect("base64url");
    assert_eq!(key.len(), 65, "an uncompressed P-256 point");

    let phone = Device::new(7);
    let phone_id = subscribe(
        &alice,
        phone.subscription(&format!("{base}/d/alice"), "Alice's phone"),
    )
    .await;
    let outsider = Device::new(9);
    subscribe(
        &carol,
        outsider.subscription(&format!("{base}/d/carol"), "Carol's laptop"),
    )
    .await;
    let (_, listed) = alice.get("/api/push/devices").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["device"], "Alice's phone");
    assert_eq!(listed[0]["service"], "127.0.0.1");
    assert!(
        listed[0].get("endpoint").is_none(),
        "the endpoint stays on the server"
    );

    // The test button: delivered, signed, and it says where it reached.
    let (status, body) = alice
        .post(&format!("/api/push/devices/{phone_id}/test"), json!({}))
        .await;
    assert_eq!(status, 204, "{body}");
    let pushes = service.until("/d/alice", 1).await;
    let authorization = pushes[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(authorization.starts_with("vapid t="), "{authorization}");
    assert!(
        authorization.contains(&URL_SAFE_NO_PAD.encode(&key)),
        "signed with the key devices subscribed with: {authorization}"
    );
    assert!(pushes[0].headers.contains_key("ttl"));
    let test = phone.open(&pushes[0]);
    assert_eq!(test.kind, PushMessageKind::Test);
    assert!(test.body.contains("Alice's phone"), "{test:?}");
    // Nobody else's device can be tested or removed by her.
    let (_, carols) = carol.get("/api/push/devices").await;
    let carol_device = carols[0]["id"].as_str().expect("id").to_owned();
    let (status, _) = alice
        .post(&format!("/api/push/devices/{carol_device}/test"), json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = alice
        .delete(&format!("/api/push/devices/{carol_device}"))
        .await;
    assert_eq!(status, 404);

    // An approval: pushed to the member's device, with its buttons.
    let session = server.start_session(&assistant, "ship it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let pushes = service.until("/d/alice", 2).await;
    assert_eq!(
        pushes[1]
            .headers
            .get("urgency")
            .and_then(|v| v.to_str().ok()),
        Some("high")
    );
    let asked = phone.open(&pushes[1]);
    assert_eq!(asked.kind, PushMessageKind::Approval);
    assert_eq!(
        asked.approval_id.as_ref().map(|a| a.as_str()),
        Some(approval.as_str())
    );
    assert_eq!(asked.session_id.as_ref(), Some(&session.id));
    assert!(asked.title.contains("Deploy to production"), "{asked:?}");
    assert!(asked.url.ends_with(session.id.as_str()));
    assert_eq!(asked.actions.len(), 2, "{asked:?}");
    // Carol does not see the assistant: nothing reaches her device.
    assert!(
        service.to("/d/carol").is_empty(),
        "a push to someone who may not answer"
    );

    // The notification's first button answers as alice (as the service
    // worker does, with her login); a late second answer is refused.
    let allow = &asked.actions[0].option_id;
    let (status, body) = alice
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": allow}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": asked.actions[1].option_id}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("by alice"), "{body}");
    viewer.until_ended().await;

    // The ending is pushed too.
    let pushes = service.until("/d/alice", 3).await;
    let ended = phone.open(&pushes[2]);
    assert_eq!(ended.kind, PushMessageKind::Ended);
    assert!(ended.title.contains("finished"), "{ended:?}");
    assert!(ended.body.contains("Finished."), "{ended:?}");
    assert!(service.to("/d/carol").is_empty());
}

#[tokio::test]
async fn a_device_the_push_service_forgot_is_dropped_and_muted_kinds_are_not_sent() {
    let (service, base, server) = with_push_service().await;
    let alice = server.person("alice").await;
    let gone = Device::new(3);
    let id = subscribe(
        &alice,
        gone.subscription(&format!("{base}/gone/1"), "old tablet"),
    )
    .await;
    let (status, body) = alice
        .post(&format!("/api/push/devices/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.to_string().contains("no longer knows"), "{body}");
    let (_, listed) = alice.get("/api/push/devices").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");

    // Endings muted for one assistant: its approvals push, its endings not.
    let assistant = asking(&server, "quiet", "Look", "read").await;
    add_member(&server, assistant.id.as_str(), &alice).await;
    let device = Device::new(5);
    subscribe(&alice, device.subscription(&format!("{base}/d/a"), "phone")).await;
    let (status, mutes) = alice
        .put_json(
            "/api/push/mutes",
            json!({"mutes": [{"assistant_id": assistant.id, "kind": "ended"}]}),
        )
        .await;
    assert_eq!(status, 200, "{mutes}");
    assert_eq!(mutes["mutes"][0]["kind"], "ended");
    let session = server.start_session(&assistant, "look").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, options) = viewer.until_approval().await;
    let pushes = service.until("/d/a", 1).await;
    assert_eq!(device.open(&pushes[0]).kind, PushMessageKind::Approval);
    let (status, _) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": options[0]}),
        )
        .await;
    assert_eq!(status, 200);
    viewer.until_ended().await;
    // The ending would have gone out by now; the approval is all there is.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.to("/d/a").len(), 1);
    // An assistant she does not see cannot be muted (nor learned of).
    let (status, _) = alice
        .put_json(
            "/api/push/mutes",
            json!({"mutes": [{"assistant_id": "ast_elsewhere", "kind": "approval"}]}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_subscriptions_get_clear_errors_and_nothing_is_kept() {
    let server = TestServer::start().await;
    let alice = server.person("alice").await;
    let device = Device::new(11);
    let good = device.subscription("https://push.example.com/d/1", "phone");
    let mut cases = Vec::new();
    let mut with = |pointer: &str, value: Value, why: &str| {
        let mut body = good.clone();
        *body.pointer_mut(pointer).expect("field") = value;
        cases.push((body, why.to_owned()));
    };
    with(
        "/endpoint",
        json!("http://push.example.com/d/1"),
        "https://",
    );
    with(
        "/endpoint",
        json!("https://127.0.0.1:8080/api/users"),
        "public internet",
    );
    with(
        "/endpoint",
        json!("https://169.254.169.254/latest"),
        "public internet",
    );
    with("/endpoint", json!("not a url"), "not a URL");
    with("/keys/p256dh", json!("AAAA"), "p256dh");
    with(
        "/keys/auth",
        json!(URL_SAFE_NO_PAD.encode([1u8; 15])),
        "auth",
    );
    with("/device", json!("two\nlines"), "device");
    with("/device", json!("x".repeat(81)), "device");
    for (body, why) in cases {
        let (status, answer) = alice.post("/api/push/devices", body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(answer.to_string().contains(&why), "{body} → {answer}");
    }
    let (status, answer) = alice.post("/api/push/devices", json!([good])).await;
    assert_eq!(status, 400, "{answer}");
    let (_, listed) = alice.get("/api/push/devices").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    // Without an account: nothing.
    let anonymous = reqwest::Client::new();
    let answer = anonymous
        .post(format!("{}/api/push/devices", server.url))
        .json(&good)
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status().as_u16(), 401);
    // The good one is taken (a public push service needs no local flag).
    subscribe(&alice, good).await;
}
