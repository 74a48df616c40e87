//! A release `tandem serve` under measurement, and the HTTP calls the
//! benchmarks need.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub url: String,
    pub child: Child,
    pub data: tempfile::TempDir,
    /// Sends the admin's bearer token.
    pub http: reqwest::Client,
    pub token: String,
    pub started_in: Duration,
    pub agent: PathBuf,
}

impl Server {
    /// Starts the server and times spawn → first answer to `/api/health`.
    pub async fn start(bin_dir: &Path) -> Result<Server> {
        Server::start_serving(bin_dir, None).await
    }

    /// Also serves the built web app from `dist`.
    pub async fn start_serving(bin_dir: &Path, dist: Option<&Path>) -> Result<Server> {
        Server::launch(bin_dir, dist, None, None).await
    }

    /// One of several servers on one PostgreSQL database: the first makes
    /// the admin; the others (`joining`) take its keys and token.
    pub async fn start_on(
        bin_dir: &Path,
        database_url: &str,
        joining: Option<&Server>,
    ) -> Result<Server> {
        Server::launch(bin_dir, None, Some(database_url), joining).await
    }

    async fn launch(
        bin_dir: &Path,
        dist: Option<&Path>,
        database_url: Option<&str>,
        joining: Option<&Server>,
    ) -> Result<Server> {
        let data = tempfile::tempdir()?;
        let tandem = bin_dir.join("tandem-under-test");
        let token = match joining {
            Some(first) => {
                for file in ["secrets.key", "push-vapid.key"] {
                    std::fs::copy(first.data.path().join(file), data.path().join(file))
                        .with_context(|| format!("copying {file}"))?;
                }
                first.token.clone()
            }
            None => admin_token(&tandem, data.path(), database_url).await?,
        };
        let started = Instant::now();
        let mut command = Command::new(&tandem);
        command.args(["serve", "--addr", "127.0.0.1:0"]);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command
            .arg("--data-dir")
            .arg(data.path())
            .env("TANDEM_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .args(
                dist.map(|dir| vec!["--static-dir".into(), dir.as_os_str().to_owned()])
                    .unwrap_or_default(),
            )
            .kill_on_drop(true)
            .spawn()
            .context("starting tandem")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        while let Some(line) = lines.next_line().await? {
            if let Some(found) = line.strip_prefix("Tandem listening on ") {
                url = Some(found.trim().to_owned());
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let Some(url) = url else {
            bail!("tandem exited before listening")
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()?;
        loop {
            if http.get(format!("{url}/api/health")).send().await.is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("no answer from tandem");
            }
        }
        let started_in = started.elapsed();
        Ok(Server {
            url,
            child,
            data,
            http,
            token,
            started_in,
            agent: bin_dir.join("test-agent"),
        })
    }

    pub fn ws_url(&self) -> String {
        format!("{}/api/ws", self.url.replacen("http", "ws", 1))
    }

    /// The server's resident memory, from /proc.
    pub fn rss_mb(&self) -> Result<f64> {
        let pid = self.child.id().context("no pid")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .context("no VmRSS")?;
        Ok(kb / 1024.0)
    }

    /// CPU time the server has used (user + system), from /proc.
    pub fn cpu_seconds(&self) -> Result<f64> {
        let pid = self.child.id().context("no pid")?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // Fields after the command's closing parenthesis; utime and stime
        // are the 12th and 13th of them, in clock ticks (100 per second).
        let rest = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks =
            |i: usize| -> Result<f64> { Ok(fields.get(i).context("stat field")?.parse::<f64>()?) };
        Ok((ticks(11)? + ticks(12)?) / 100.0)
    }

    /// Bytes the server has caused to be written to disk, from /proc: what
    /// it dirtied, less what it truncated before it reached the disk.
    pub fn disk_written_bytes(&self) -> Result<u64> {
        let pid = self.child.id().context("no pid")?;
        let io = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
        let field = |name: &str| -> Result<u64> {
            io.lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|n| n.trim().parse().ok())
                .with_context(|| format!("no {name}"))
        };
        Ok(field("write_bytes:")?.saturating_sub(field("cancelled_write_bytes:")?))
    }

    /// The size of the SQLite write-ahead log now, in bytes (0 if none).
    pub fn wal_bytes(&self) -> u64 {
        std::fs::metadata(self.data.path().join("tandem.db-wal"))
            .map(|meta| meta.len())
            .unwrap_or(0)
    }

    /// An assistant whose agent is the test agent playing `steps` once.
    pub async fn assistant(&self, name: &str, steps: Value) -> Result<String> {
        let dir = self.data.path().join(format!("ws-{name}"));
        std::fs::create_dir_all(&dir)?;
        let scenario = dir.join("scenario.json");
        std::fs::write(&scenario, json!({"turns": [steps]}).to_string())?;
        let body: Value = self
            .http
            .post(format!("{}/api/assistants", self.url))
            .json(
                &json!({"name": name, "persona": "benchmark", "workspace": dir,
                "agent": {"kind": "custom", "command": self.agent, "args": [scenario]}}),
            )
            .send()
            .await?
            .json()
            .await?;
        body["id"]
            .as_str()
            .map(str::to_owned)
            .context("no assistant id")
    }

    pub async fn session(&self, assistant: &str) -> Result<String> {
        let body: Value = self
            .http
            .post(format!("{}/api/sessions", self.url))
            .json(&json!({"assistant_id": assistant, "prompt": "go"}))
            .send()
            .await?
            .json()
            .await?;
        body["id"]
            .as_str()
            .map(str::to_owned)
            .context("no session id")
    }
}

/// An admin and a bearer token for it, made with the `tandem` commands
/// before the server starts (so they are not in the start time).
async fn admin_token(tandem: &Path, data: &Path, database_url: Option<&str>) -> Result<String> {
    use tokio::io::AsyncWriteExt;
    let database = database_url
        .map(|url| vec!["--database-url".to_owned(), url.to_owned()])
        .unwrap_or_default();
    let mut add = Command::new(tandem)
        .args(["user", "add", "bench"])
        .args(&database)
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("tandem user add")?;
    if let Some(mut stdin) = add.stdin.take() {
        stdin.write_all(b"bench-password\n").await?;
    }
    if !add.wait().await?.success() {
        bail!("tandem user add failed");
    }
    let output = Command::new(tandem)
        .args(["token", "create", "--user", "bench"])
        .args(&database)
        .arg("--data-dir")
        .arg(data)
        .output()
        .await
        .context("tandem token create")?;
    if !output.status.success() {
        bail!("tandem token create failed");
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
