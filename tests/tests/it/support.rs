//! Starting the real server, making assistants that run the test agent,
//! and watching transcripts over the real WebSocket.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tandem_shared::api::{Assistant, SessionSummary};
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus, TranscriptEvent};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

pub const DEADLINE: Duration = Duration::from_secs(30);

pub fn tandem_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tandem-under-test")
}

pub fn test_agent_bin() -> &'static str {
    env!("CARGO_BIN_EXE_test-agent")
}

/// The real `tandem serve` as a child process on a free loopback port.
pub struct TestServer {
    pub url: String,
    pub data_dir: PathBuf,
    #[allow(dead_code)]
    pub database_url: Option<String>,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().to_path_buf();
        let mut server = TestServer::start_in(&data_dir, None).await;
        server._tmp = Some(tmp);
        server
    }

    pub async fn start_with_database(database_url: Option<String>) -> TestServer {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().to_path_buf();
        let mut server = TestServer::start_in(&data_dir, database_url).await;
        server._tmp = Some(tmp);
        server
    }

    /// Starts a server on an existing data directory (for restarts).
    pub async fn start_in(data_dir: &Path, database_url: Option<String>) -> TestServer {
        TestServer::launch(data_dir, database_url, "127.0.0.1:0").await
    }

    /// Restarts on the same address, so open pages reconnect.
    pub async fn start_in_at(data_dir: &Path, addr: &str) -> TestServer {
        TestServer::launch(data_dir, None, addr).await
    }

    async fn launch(data_dir: &Path, database_url: Option<String>, addr: &str) -> TestServer {
        let mut command = Command::new(tandem_bin());
        command
            .args([
                "serve",
                "--addr",
                addr,
                "--agent-start-timeout",
                "3",
                "--cancel-grace",
                "2",
                "--hang-timeout",
                "3",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("TANDEM_DATABASE_URL")
            .env("TANDEM_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(url) = &database_url {
            command.arg("--database-url").arg(url);
        }
        if let Some(dir) = static_dir() {
            command.arg("--static-dir").arg(dir);
        }
        let mut child = command.spawn().expect("start tandem");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(DEADLINE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("Tandem listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("tandem exited before listening")
        })
        .await
        .expect("tandem did not start in time");
        // Keep draining stdout so the server never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        TestServer {
            url,
            data_dir: data_dir.to_path_buf(),
            database_url,
            child: Some(child),
            _tmp: None,
            http: reqwest::Client::new(),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/api/ws", self.url.replacen("http", "ws", 1))
    }

    /// `kill -9`: no chance to clean up.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill");
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn demo_assistant(&self) -> Assistant {
        let (status, body) = self.get("/api/assistants").await;
        assert_eq!(status, 200);
        let assistants: Vec<Assistant> = serde_json::from_value(body).expect("assistants");
        assistants
            .into_iter()
            .find(|a| a.name == "Demo")
            .expect("demo assistant")
    }

    /// An assistant whose agent is the test agent playing `scenario`.
    pub async fn scripted_assistant(&self, name: &str, scenario: Value) -> Assistant {
        let dir = self.data_dir.join(format!("ws-{name}"));
        std::fs::create_dir_all(&dir).expect("workspace");
        let scenario_path = dir.join("scenario.json");
        std::fs::write(&scenario_path, scenario.to_string()).expect("scenario");
        let log = dir.join("agent.log");
        let (status, body) = self
            .post(
                "/api/assistants",
                json!({
                    "name": name,
                    "agent": {"kind": "custom", "command": test_agent_bin(),
                              "args": [scenario_path],
                              "env": [{"name": "TEST_AGENT_LOG", "value": log}]},
                    "workspace": dir,
                    "persona": format!("{name} is a scripted test assistant."),
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body).expect("assistant")
    }

    pub async fn start_session(&self, assistant: &Assistant, prompt: &str) -> SessionSummary {
        let (status, body) = self
            .post(
                "/api/sessions",
                json!({"assistant_id": assistant.id, "prompt": prompt}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body).expect("session")
    }

    pub async fn all_events(&self, session: &SessionId) -> Vec<TranscriptEvent> {
        let mut events: Vec<TranscriptEvent> = Vec::new();
        loop {
            let after = events.last().map(|e| e.seq.0).unwrap_or(0);
            let (status, body) = self
                .get(&format!(
                    "/api/sessions/{session}/events?after={after}&limit=5000"
                ))
                .await;
            assert_eq!(status, 200, "{body}");
            let page: tandem_shared::api::EventPage = serde_json::from_value(body).expect("page");
            let more = page.more;
            events.extend(page.events);
            if !more {
                return events;
            }
        }
    }
}

/// Where `cargo xtask test` put the built web app, if it did.
pub fn static_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist");
    dir.join("index.html").is_file().then_some(dir)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A viewer on the real WebSocket.
pub struct Viewer {
    socket: Socket,
    pub events: Vec<TranscriptEvent>,
    pub sidebar: Vec<SessionSummary>,
    pub errors: Vec<(String, String)>,
}

impl Viewer {
    pub async fn connect(server: &TestServer) -> Viewer {
        let (socket, _) = tokio_tungstenite::connect_async(server.ws_url())
            .await
            .expect("ws connect");
        Viewer {
            socket,
            events: Vec::new(),
            sidebar: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        let text = serde_json::to_string(message).expect("encode");
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.expect("ws send");
    }

    pub async fn subscribe(&mut self, session_id: &SessionId, after: Seq) {
        self.send(&ClientMessage::Subscribe {
            session_id: session_id.clone(),
            after,
        })
        .await;
    }

    /// Reads messages until `done` holds, or panics at the deadline.
    pub async fn until(&mut self, what: &str, mut done: impl FnMut(&Viewer) -> bool) {
        let result = tokio::time::timeout(DEADLINE, async {
            while !done(self) {
                match self.socket.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let message: ServerMessage =
                            serde_json::from_str(text.as_str()).expect("server message");
                        self.record(message);
                    }
                    Some(Ok(_)) => {}
                    other => panic!("socket ended while waiting for {what}: {other:?}"),
                }
            }
        })
        .await;
        if result.is_err() {
            panic!(
                "timed out waiting for {what}; events so far: {:#?}",
                self.events.iter().map(|e| &e.body).collect::<Vec<_>>()
            );
        }
    }

    fn record(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Events { events, .. } => self.events.extend(events),
            ServerMessage::Session { session } => self.sidebar.push(session),
            ServerMessage::Error { code, message, .. } => self.errors.push((code, message)),
            ServerMessage::CaughtUp { .. } | ServerMessage::Pong { .. } => {}
        }
    }

    pub fn status(&self) -> Option<SessionStatus> {
        self.events.iter().rev().find_map(|e| match &e.body {
            EventBody::StatusChange { status, .. } => Some(*status),
            _ => None,
        })
    }

    pub async fn until_status(&mut self, status: SessionStatus) {
        self.until(&format!("status {status:?}"), |v| {
            v.status() == Some(status)
        })
        .await;
    }

    pub async fn until_ended(&mut self) -> SessionStatus {
        self.until("the session to end", |v| {
            v.status().is_some_and(|s| !s.is_live())
        })
        .await;
        self.status().expect("status")
    }

    pub fn pending_approval(&self) -> Option<(String, Vec<String>)> {
        let mut pending = None;
        for event in &self.events {
            match &event.body {
                EventBody::PermissionRequest {
                    approval_id,
                    options,
                    ..
                } => {
                    pending = Some((
                        approval_id.0.clone(),
                        options.iter().map(|o| o.option_id.clone()).collect(),
                    ))
                }
                EventBody::PermissionDecision { approval_id, .. }
                    if pending.as_ref().is_some_and(|(id, _)| *id == approval_id.0) =>
                {
                    pending = None
                }
                _ => {}
            }
        }
        pending
    }

    pub async fn until_approval(&mut self) -> (String, Vec<String>) {
        self.until("a pending approval", |v| v.pending_approval().is_some())
            .await;
        self.pending_approval().expect("approval")
    }

    /// The seqs are 1, 2, 3 … with no gap and no duplicate.
    pub fn assert_contiguous(&self) {
        for (i, event) in self.events.iter().enumerate() {
            assert_eq!(event.seq, Seq(i as u64 + 1), "seq gap or duplicate at {i}");
        }
    }

    pub fn agent_text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::AgentMessageChunk { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn error_text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Error { message } => Some(message.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Postgres for the tests that need it: `TANDEM_TEST_DATABASE_URL` names a
/// server (an admin URL); each test gets a fresh database in it.
pub async fn fresh_postgres() -> String {
    let admin = std::env::var("TANDEM_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need TANDEM_TEST_DATABASE_URL; `cargo xtask test` starts a \
             local server and sets it"
        )
    });
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    let name = format!(
        "tandem_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    match admin.rfind('/') {
        Some(at) => format!("{}/{name}", &admin[..at]),
        None => panic!("TANDEM_TEST_DATABASE_URL has no database part: {admin}"),
    }
}

/// Polls `GET path` until `done` holds for the JSON, with a deadline: for
/// things the server does after answering (summaries, wakes, task moves).
pub async fn until_json(
    server: &TestServer,
    path: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let (_, body) = server.get(path).await;
        if done(&body) {
            return body;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "timed out waiting for {what}: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
