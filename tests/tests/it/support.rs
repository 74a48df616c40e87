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
    /// What it printed before it listened (the first-run setup code).
    pub console: Vec<String>,
    _tmp: Option<tempfile::TempDir>,
    /// Sends the admin's bearer token with every request.
    pub http: reqwest::Client,
    /// The admin's bearer token.
    pub token: String,
}

/// The admin every test server has, made with `tandem user add` before
/// the server starts.
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password";

/// Runs a `tandem` command against a data directory, feeding `stdin`;
/// returns its stdout, or panics with its stderr.
pub async fn tandem_command(
    args: &[&str],
    data_dir: &Path,
    database_url: Option<&str>,
    stdin: &str,
) -> String {
    use tokio::io::AsyncWriteExt;
    let mut command = Command::new(tandem_bin());
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("TANDEM_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    let mut child = command.spawn().expect("run tandem");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    let output = child.wait_with_output().await.expect("tandem output");
    assert!(
        output.status.success(),
        "tandem {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An admin account and a token for it, made once per data directory.
async fn admin_token(data_dir: &Path, database_url: Option<&str>) -> String {
    let saved = data_dir.join("test-admin-token");
    if let Ok(token) = std::fs::read_to_string(&saved) {
        return token;
    }
    tandem_command(
        &["user", "add", ADMIN],
        data_dir,
        database_url,
        &format!("{ADMIN_PASSWORD}\n"),
    )
    .await;
    let token = tandem_command(
        &["token", "create", "--user", ADMIN, "--name", "tests"],
        data_dir,
        database_url,
        "",
    )
    .await
    .trim()
    .to_owned();
    std::fs::write(&saved, &token).expect("save token");
    token
}

/// Every process on the machine but this one: its pid and `/proc` folder.
fn processes() -> impl Iterator<Item = (i32, PathBuf)> {
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(move |entry| {
            let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
            (pid != me).then(|| (pid, entry.path()))
        })
}

/// Live processes (zombies have no command line) whose command line
/// mentions `dir`: the agents of a test's assistants, whose scenario files
/// (`TestServer::scenario_path`) their command lines name.
pub fn processes_mentioning(dir: &Path) -> Vec<(i32, String)> {
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    for (pid, folder) in processes() {
        let Ok(raw) = std::fs::read(folder.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if cmdline.contains(&needle) {
            found.push((pid, cmdline.trim().to_owned()));
        }
    }
    found
}

/// Live (not zombie) processes whose process group is `pgid`.
pub fn processes_in_group(pgid: i64) -> Vec<i32> {
    let mut found = Vec::new();
    for (pid, folder) in processes() {
        let Ok(stat) = std::fs::read_to_string(folder.join("stat")) else {
            continue;
        };
        // After the command name: state (field 3), ppid, pgrp (field 5).
        let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") {
            continue;
        }
        if fields.get(2).and_then(|g| g.parse::<i64>().ok()) == Some(pgid) {
            found.push(pid);
        }
    }
    found
}

/// Waits (up to `DEADLINE`) until no live process mentions `dir`.
pub async fn until_no_process_mentions(dir: &Path) {
    let started = std::time::Instant::now();
    loop {
        let left = processes_mentioning(dir);
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "processes left behind: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client that sends `Authorization: Bearer <token>`.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// How to start a test server: `TestServer::launch()…start()`. By default a
/// fresh data directory (removed with the server), SQLite, a free port and
/// an admin with a token.
pub struct Launch {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    addr: String,
    with_admin: bool,
    file_size_limit: Option<u64>,
    env: Vec<(String, String)>,
    /// Where the server's log goes instead of the test's output.
    log_file: Option<PathBuf>,
    /// More `serve` flags.
    args: Vec<String>,
}

impl Launch {
    /// The server logs at debug level into `file` (to check what it logs).
    pub fn log_to(mut self, file: &Path) -> Launch {
        self.log_file = Some(file.to_path_buf());
        self.env.push(("TANDEM_LOG".into(), "debug".into()));
        self
    }

    /// `dir` first on the server's PATH (stand-in tools such as a `node`
    /// of another version).
    pub fn path_first(mut self, dir: &Path) -> Launch {
        let path = std::env::var("PATH").unwrap_or_default();
        self.env
            .push(("PATH".into(), format!("{}:{path}", dir.display())));
        self
    }

    /// A variable in the server's own environment.
    pub fn env(mut self, name: &str, value: &str) -> Launch {
        self.env.push((name.into(), value.into()));
        self
    }

    /// An existing data directory (a restart), kept after the server.
    pub fn in_dir(mut self, data_dir: &Path) -> Launch {
        self.data_dir = Some(data_dir.to_path_buf());
        self
    }

    /// One more `serve` flag (with its value).
    pub fn arg(mut self, flag: &str, value: &str) -> Launch {
        self.args.push(flag.to_owned());
        self.args.push(value.to_owned());
        self
    }

    pub fn database(mut self, url: String) -> Launch {
        self.database_url = Some(url);
        self
    }

    /// A fixed address: a restart where open pages reconnect.
    pub fn at(mut self, addr: &str) -> Launch {
        self.addr = addr.to_owned();
        self
    }

    /// A first run: nobody has an account yet (`token` is empty).
    pub fn without_accounts(mut self) -> Launch {
        self.with_admin = false;
        self
    }

    /// The server's process may not write any file past `bytes`: a full
    /// disk for its data directory, without needing a small file system
    /// (tests run as root, so a read-only mode would not stop them).
    pub fn file_size_limit(mut self, bytes: u64) -> Launch {
        self.file_size_limit = Some(bytes);
        self
    }

    pub async fn start(self) -> TestServer {
        let (tmp, data_dir) = match self.data_dir.clone() {
            Some(dir) => (None, dir),
            None => {
                let tmp = tempfile::tempdir().expect("temp dir");
                let dir = tmp.path().to_path_buf();
                (Some(tmp), dir)
            }
        };
        let mut server = TestServer::launch_with(&data_dir, &self).await;
        server._tmp = tmp;
        server
    }
}

impl Drop for TestServer {
    /// The fixtures go with the temporary data directory they sit beside.
    fn drop(&mut self) {
        if self._tmp.is_some() {
            let _ = std::fs::remove_dir_all(self.fixtures_dir());
        }
    }
}

impl TestServer {
    /// The common case: a fresh server with an admin.
    pub async fn start() -> TestServer {
        TestServer::launch().start().await
    }

    pub fn launch() -> Launch {
        Launch {
            data_dir: None,
            database_url: None,
            addr: "127.0.0.1:0".into(),
            with_admin: true,
            file_size_limit: None,
            env: Vec::new(),
            log_file: None,
            args: Vec::new(),
        }
    }

    async fn launch_with(data_dir: &Path, launch: &Launch) -> TestServer {
        let database_url = launch.database_url.clone();
        let addr = launch.addr.as_str();
        let with_admin = launch.with_admin;
        let file_size_limit = launch.file_size_limit;
        let env = &launch.env;
        let log_file = launch.log_file.as_deref();
        let args = &launch.args;
        let token = if with_admin {
            admin_token(data_dir, database_url.as_deref()).await
        } else {
            String::new()
        };
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
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("TANDEM_DATABASE_URL")
            .env("TANDEM_LOG", "warn")
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(match log_file {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::inherit(),
            })
            .kill_on_drop(true);
        if let Some(url) = &database_url {
            command.arg("--database-url").arg(url);
        }
        if let Some(dir) = static_dir() {
            command.arg("--static-dir").arg(dir);
        }
        if let Some(bytes) = file_size_limit {
            // SAFETY: only async-signal-safe calls (setrlimit, sigaction)
            // between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    use nix::sys::resource::{setrlimit, Resource};
                    use nix::sys::signal::{signal, SigHandler, Signal};
                    // Ignored, a write past the limit fails with EFBIG
                    // instead of killing the process.
                    signal(Signal::SIGXFSZ, SigHandler::SigIgn).map_err(std::io::Error::from)?;
                    setrlimit(Resource::RLIMIT_FSIZE, bytes, bytes).map_err(std::io::Error::from)
                });
            }
        }
        let mut child = command.spawn().expect("start tandem");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut console = Vec::new();
        let url = tokio::time::timeout(DEADLINE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("Tandem listening on ") {
                    return url.trim().to_owned();
                }
                console.push(line);
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
            console,
            _tmp: None,
            http: if token.is_empty() {
                reqwest::Client::new()
            } else {
                client_with_token(&token)
            },
            token,
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/api/ws", self.url.replacen("http", "ws", 1))
    }

    /// The server's resident memory in MB, from /proc.
    pub fn rss_mb(&self) -> f64 {
        let pid = self.child.as_ref().and_then(Child::id).expect("server pid");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .expect("VmRSS")
    }

    /// SIGTERM, as a service manager stops Tandem; waits for the exit (up
    /// to `DEADLINE`) and returns how the process ended.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let mut child = self.child.take().expect("a running server");
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .expect("pid");
        kill(Pid::from_raw(pid), Signal::SIGTERM).expect("SIGTERM");
        tokio::time::timeout(DEADLINE, child.wait())
            .await
            .expect("tandem did not exit in time after SIGTERM")
            .expect("exit status")
    }

    /// `kill -9`: no chance to clean up.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("kill");
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(format!("{}{path}", self.url))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.post(format!("{}{path}", self.url)).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        answer(self.http.delete(format!("{}{path}", self.url))).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.patch(format!("{}{path}", self.url)).json(&body)).await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.put(format!("{}{path}", self.url)).json(&body)).await
    }

    /// Logs in with a password; the login cookie (`name=value`) on success.
    pub async fn login(&self, name: &str, password: &str) -> (u16, Option<String>) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/auth/login", self.url))
            .json(&json!({"name": name, "password": password}))
            .send()
            .await
            .expect("login");
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::to_owned);
        (status, cookie)
    }

    /// A person the admin adds (password `<name>-password`), who logs in
    /// and makes a token for themselves.
    pub async fn person(&self, name: &str) -> Person {
        let password = format!("{name}-password");
        let (status, body) = self
            .post("/api/users", json!({"name": name, "password": password}))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, cookie) = self.login(name, &password).await;
        assert_eq!(status, 200);
        let cookie = cookie.expect("login cookie");
        let response = reqwest::Client::new()
            .post(format!("{}/api/tokens", self.url))
            .header("cookie", &cookie)
            .header("origin", &self.url)
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .expect("create token");
        assert_eq!(response.status().as_u16(), 201);
        let created: Value = response.json().await.expect("token");
        let token = created["secret"].as_str().expect("secret").to_owned();
        Person {
            name: name.to_owned(),
            id: body["id"].as_str().expect("user id").to_owned(),
            url: self.url.clone(),
            http: if token.is_empty() {
                reqwest::Client::new()
            } else {
                client_with_token(&token)
            },
            token,
        }
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
    /// Where scripted assistants' scenarios live: beside the data
    /// directory, not in it (an agent's sandbox hides the data directory but
    /// for its own workspace), so an agent checked in a scratch folder or
    /// moved to another workspace still reads its script.
    pub fn fixtures_dir(&self) -> PathBuf {
        let name = self
            .data_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.data_dir.with_file_name(format!("{name}-fixtures"))
    }

    /// A scripted assistant's scenario file: its agent's command line names
    /// it, so it finds that agent's processes.
    pub fn scenario_path(&self, name: &str) -> PathBuf {
        self.fixtures_dir().join(format!("{name}.json"))
    }

    pub async fn scripted_assistant(&self, name: &str, scenario: Value) -> Assistant {
        let dir = self.data_dir.join(format!("ws-{name}"));
        std::fs::create_dir_all(&dir).expect("workspace");
        std::fs::create_dir_all(self.fixtures_dir()).expect("fixtures");
        let scenario_path = self.scenario_path(name);
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

/// Someone other than the admin, with their own token.
pub struct Person {
    pub name: String,
    pub id: String,
    pub token: String,
    url: String,
    pub http: reqwest::Client,
}

impl Person {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(format!("{}{path}", self.url))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.post(format!("{}{path}", self.url)).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.patch(format!("{}{path}", self.url)).json(&body)).await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> (u16, Value) {
        answer(self.http.put(format!("{}{path}", self.url)).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        answer(self.http.delete(format!("{}{path}", self.url))).await
    }
}

/// Sends a request; its status and JSON body (`null` when there is none).
async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A directory of stand-in programs (a `node` of another version, an
/// adapter that is the test agent), each a shell script, to put first on
/// the server's PATH.
pub fn stand_in_tools(tools: &[(&str, String)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tools dir");
    for (name, script) in tools {
        let path = dir.path().join(name);
        std::fs::write(&path, script).expect("tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
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
    pub errors: Vec<(tandem_shared::api::ErrorCode, String)>,
    /// The last pending-approvals count the server sent.
    pub pending_approvals: Option<u32>,
    /// Each `tail` that came, with how many events had come before it.
    pub tails: Vec<(usize, Vec<TranscriptEvent>)>,
    /// The `last_seq` of the last `caught_up`.
    pub caught_up: Option<Seq>,
}

/// A WebSocket handshake carrying a bearer token.
pub fn ws_request(
    url: &str,
    token: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().expect("ws url");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

impl Viewer {
    pub async fn connect(server: &TestServer) -> Viewer {
        Viewer::connect_as(server, &server.token).await
    }

    /// A viewer authenticated by another person's token.
    pub async fn connect_as(server: &TestServer, token: &str) -> Viewer {
        let (socket, _) = tokio_tungstenite::connect_async(ws_request(&server.ws_url(), token))
            .await
            .expect("ws connect");
        Viewer::on(socket)
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
            newest_first: false,
        })
        .await;
    }

    /// Subscribes from the start, newest events first (a `tail`).
    pub async fn subscribe_newest_first(&mut self, session_id: &SessionId) {
        self.send(&ClientMessage::Subscribe {
            session_id: session_id.clone(),
            after: Seq::ZERO,
            newest_first: true,
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

    /// Reads until the server closes the socket (it was killed, say),
    /// keeping everything that arrived before.
    pub async fn until_closed(&mut self) {
        let before = self.events.len();
        let result = tokio::time::timeout(DEADLINE, async {
            while let Some(Ok(message)) = self.socket.next().await {
                if let Message::Text(text) = message {
                    let message: ServerMessage =
                        serde_json::from_str(text.as_str()).expect("server message");
                    self.record(message);
                }
            }
        })
        .await;
        // How much it read meanwhile tells a slow drain from a socket
        // nobody closed.
        if result.is_err() {
            // Who still holds the other end: the kernel, or a process.
            let port = match self.socket.get_ref() {
                tokio_tungstenite::MaybeTlsStream::Plain(tcp) => {
                    tcp.peer_addr().map(|a| a.port()).unwrap_or(0)
                }
                _ => 0,
            };
            let held = std::process::Command::new("ss")
                .args(["-tanp"])
                .output()
                .map(|out| {
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .filter(|line| line.contains(&format!(":{port} ")))
                        .take(20)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            panic!(
                "the socket did not close within {} s; {} events read meanwhile, the last seq {:?}; \
                 sockets on port {port}:\n{held}",
                DEADLINE.as_secs(),
                self.events.len() - before,
                self.events.last().map(|e| e.seq)
            );
        }
    }

    /// Connects to a share link's stream.
    pub async fn connect_share(server: &TestServer, path: &str) -> Viewer {
        let token = path.trim_start_matches("/s/");
        let url = format!(
            "{}/api/share/{token}/ws",
            server.url.replacen("http", "ws", 1)
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        Viewer::on(socket)
    }

    fn on(socket: Socket) -> Viewer {
        Viewer {
            socket,
            events: Vec::new(),
            sidebar: Vec::new(),
            errors: Vec::new(),
            pending_approvals: None,
            tails: Vec::new(),
            caught_up: None,
        }
    }

    fn record(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Tail { events, .. } => self.tails.push((self.events.len(), events)),
            ServerMessage::CaughtUp { last_seq, .. } => self.caught_up = Some(last_seq),
            ServerMessage::Events { events, .. } => self.events.extend(events),
            ServerMessage::Session { session } => self.sidebar.push(session),
            ServerMessage::Error { code, message, .. } => self.errors.push((code, message)),
            ServerMessage::PendingApprovals { count } => self.pending_approvals = Some(count),
            ServerMessage::Pong { .. } => {}
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
    tandem_tests::fresh_database(&admin, "tandem_test")
        .await
        .unwrap_or_else(|error| panic!("{error}"))
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

/// Runs `command` with the demo assistant (the shell agent), a person
/// allowing it once; returns its session and a viewer that saw all of it.
pub async fn allowed_command(server: &TestServer, command: &str) -> (SessionId, Viewer) {
    let demo = server.demo_assistant().await;
    let session = server.start_session(&demo, command).await;
    let mut viewer = Viewer::connect(server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "allow-once"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    (session.id, viewer)
}

/// Sends `text` to a session and waits for the run it starts (or joins) to
/// end. Returns where that run's events begin in the viewer's list.
pub async fn run_to_end(
    server: &TestServer,
    viewer: &mut Viewer,
    session: &SessionId,
    text: &str,
) -> usize {
    let before = viewer.events.len();
    let (status, body) = server
        .post(
            &format!("/api/sessions/{session}/messages"),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the run to end", |v| {
            v.events.len() > before
                && v.events[before..].iter().any(|e| {
                    matches!(e.body, EventBody::StatusChange { status, .. } if !status.is_live())
                })
        })
        .await;
    before
}

/// Runs a shell script in `dir` as a person at the terminal would.
pub fn sh(dir: &Path, script: &str) -> String {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
