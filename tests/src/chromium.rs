//! Debian's Chromium, headless, through its chromedriver, on a fresh
//! profile: the browser tests and the bench's browser row both start it
//! here. Phones (under 500 px, a headless window's minimum width) are
//! emulated, touch and pixel ratio included.

use fantoccini::{Client, ClientBuilder};
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// As root, without the background-networking flags Chromium floods the
/// closed network of these machines.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// A running Chromium: the WebDriver client, and what must live as long.
pub struct Chromium {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("could not start {driver}: {source}")]
    Driver {
        driver: String,
        source: std::io::Error,
    },
    #[error("could not start Chromium through chromedriver: {0}")]
    Session(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The chromedriver to use: `TANDEM_TEST_CHROMEDRIVER`, else Debian's.
pub fn driver_path() -> String {
    std::env::var("TANDEM_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

pub async fn launch(width: u32, height: u32) -> Result<Chromium, LaunchError> {
    let driver_path = driver_path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let driver = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| LaunchError::Driver {
            driver: driver_path.clone(),
            source,
        })?;
    let profile = tempfile::tempdir()?;
    let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.push(format!("--window-size={width},{height}"));
    // For looking inside a run: `--trace-startup=devtools.timeline
    // --trace-startup-format=json --trace-startup-file=/tmp/trace.json`.
    if let Ok(extra) = std::env::var("TANDEM_CHROMIUM_FLAGS") {
        args.extend(extra.split_whitespace().map(str::to_owned));
    }
    let mut options = json!({"binary": "/usr/bin/chromium", "args": args});
    if width < 500 {
        options["mobileEmulation"] = json!({
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true},
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let started = Instant::now();
    loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Ok(Chromium {
                    client,
                    _driver: driver,
                    _profile: profile,
                })
            }
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(error) => return Err(LaunchError::Session(error.to_string())),
        }
    }
}
