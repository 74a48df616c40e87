//! `tandem runner`: runs agents for a hub on the machine where the code
//! is. It connects out to the hub (one WebSocket, no inbound port), says
//! which agents it can start and which workspaces it serves, and runs what
//! the hub asks. When the link drops its agents keep running and their
//! lines wait on disk; on reconnecting it sends what the hub has not taken.
//!
//! - `agents.rs`: the processes and their numbered lines.
//! - `buffer.rs`: one process's lines on disk until the hub took them.

pub mod agents;
pub mod buffer;

use agents::{Agents, Event};
use futures_util::{SinkExt, StreamExt};
use std::path::PathBuf;
use std::time::Duration;
use tandem_shared::runner::{HubFrame, RunnerFrame, MAX_FRAME_BYTES};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Waits between tries to reach the hub, doubling up to the most.
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_MOST: Duration = Duration::from_secs(10);
/// How long the hub has to answer a hello.
const WELCOME_WAIT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(15);

pub struct RunnerConfig {
    /// The hub's address (`https://tandem.example.com`).
    pub hub: String,
    pub token: String,
    /// Where it keeps agents' lines while the hub has not taken them.
    pub data_dir: PathBuf,
    pub workspace_roots: Vec<PathBuf>,
    pub sandbox: crate::sandbox::Sandbox,
    /// Names of the runner's environment every agent also gets.
    pub agent_env: Vec<String>,
    /// This program, for its agents' MCP server.
    pub tandem_exe: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("`{0}` is not an http:// or https:// address")]
    BadHub(String),
    #[error("the hub refused this runner: {0}")]
    Refused(String),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The link's address for a hub's address.
pub fn link_url(hub: &str) -> Result<String, RunnerError> {
    let hub = hub.trim_end_matches('/');
    let ws = if let Some(rest) = hub.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = hub.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        return Err(RunnerError::BadHub(hub.to_owned()));
    };
    Ok(format!("{ws}/api/runner/connect"))
}

/// The agent kinds this machine can start (the hub checks an assistant's
/// against them).
fn agent_kinds() -> Vec<String> {
    let mut kinds = vec!["shell".to_owned(), "custom".to_owned()];
    for (kind, program) in [
        ("claude", "claude-agent-acp"),
        ("codex", "codex-acp"),
        ("gemini", "gemini"),
    ] {
        if which::which(program).is_ok() {
            kinds.push(kind.to_owned());
        }
    }
    kinds
}

/// Runs until the hub refuses the runner (a revoked token) or `stop`.
pub async fn run(
    config: RunnerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), RunnerError> {
    let url = link_url(&config.hub)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|source| RunnerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let (events_tx, mut events) = mpsc::channel(1024);
    let mut agents = Agents::new(
        &config.data_dir,
        config.workspace_roots.clone(),
        config.sandbox.clone(),
        config.agent_env.clone(),
        events_tx,
    )
    .map_err(|source| RunnerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let roots: Vec<String> = config
        .workspace_roots
        .iter()
        .map(|root| root.display().to_string())
        .collect();
    let mut link: Option<Socket> = None;
    let mut retry = RETRY_FIRST;
    let mut next_try = tokio::time::Instant::now();
    let mut ping = tokio::time::interval(PING_EVERY);
    tokio::pin!(stop);
    loop {
        if link.is_none() && tokio::time::Instant::now() >= next_try {
            match connect(&url, &config, &roots, &mut agents).await {
                Ok(socket) => {
                    println!("Linked to the hub at {}", config.hub);
                    link = Some(socket);
                    retry = RETRY_FIRST;
                }
                Err(Failure::Refused(reason)) => return Err(RunnerError::Refused(reason)),
                Err(Failure::Again(why)) => {
                    tracing::info!(%why, "hub out of reach; trying again");
                    next_try = tokio::time::Instant::now() + retry;
                    retry = (retry * 2).min(RETRY_MOST);
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            frame = next_frame(&mut link) => match frame {
                Some(Ok(frame)) => {
                    if let Err(failure) = on_hub_frame(frame, &mut agents, &mut link).await {
                        match failure {
                            Failure::Refused(reason) => return Err(RunnerError::Refused(reason)),
                            Failure::Again(why) => drop_link(&mut link, &mut next_try, &why),
                        }
                    }
                }
                Some(Err(why)) => drop_link(&mut link, &mut next_try, &why),
                None => {}
            },
            Some(event) = events.recv() => on_event(event, &mut agents, &mut link, &mut next_try).await,
            _ = ping.tick() => {
                if let Some(socket) = link.as_mut() {
                    if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        drop_link(&mut link, &mut next_try, "the ping could not be sent");
                    }
                }
            }
            _ = tokio::time::sleep_until(next_try), if link.is_none() => {}
        }
    }
}

enum Failure {
    /// Try again later.
    Again(String),
    /// Stop: the hub does not want this runner.
    Refused(String),
}

fn drop_link(link: &mut Option<Socket>, next_try: &mut tokio::time::Instant, why: &str) {
    if link.take().is_some() {
        println!("The link to the hub dropped ({why}); agents keep running, reconnecting");
    }
    *next_try = tokio::time::Instant::now();
}

/// Opens the link, says hello, and takes the welcome: processes the hub
/// no longer wants end; the rest get their untaken lines again.
async fn connect(
    url: &str,
    config: &RunnerConfig,
    roots: &[String],
    agents: &mut Agents,
) -> Result<Socket, Failure> {
    let mut request = url
        .into_client_request()
        .map_err(|e| Failure::Refused(format!("bad hub address: {e}")))?;
    let bearer = format!("Bearer {}", config.token)
        .parse()
        .map_err(|_| Failure::Refused("the token is not a valid header value".into()))?;
    request.headers_mut().insert("authorization", bearer);
    let wire = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let connecting = tokio_tungstenite::connect_async_with_config(request, Some(wire), true);
    let (mut socket, _) = match tokio::time::timeout(WELCOME_WAIT, connecting).await {
        Err(_) => return Err(Failure::Again("no answer".into())),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response)))
            if response.status() == 401 || response.status() == 403 =>
        {
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            return Err(Failure::Refused(format!("{} {body}", response.status())));
        }
        Ok(Err(error)) => return Err(Failure::Again(error.to_string())),
        Ok(Ok(connected)) => connected,
    };
    let hello = RunnerFrame::Hello {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        agent_kinds: agent_kinds(),
        workspace_roots: roots.to_vec(),
        tandem_exe: config.tandem_exe.display().to_string(),
        hub: config.hub.trim_end_matches('/').to_owned(),
        processes: agents.held(),
    };
    send(&mut socket, &hello).await.map_err(Failure::Again)?;
    let welcome = tokio::time::timeout(WELCOME_WAIT, socket.next())
        .await
        .map_err(|_| Failure::Again("no welcome".into()))?;
    let frame = match welcome {
        Some(Ok(Message::Text(text))) => serde_json::from_str::<HubFrame>(&text)
            .map_err(|e| Failure::Again(format!("unreadable welcome: {e}")))?,
        Some(Ok(other)) => return Err(Failure::Again(format!("unexpected {other:?}"))),
        Some(Err(error)) => return Err(Failure::Again(error.to_string())),
        None => return Err(Failure::Again("closed before the welcome".into())),
    };
    let wanted = match frame {
        HubFrame::Welcome { wanted, .. } => wanted,
        HubFrame::Refused { reason } => return Err(Failure::Refused(reason)),
        other => return Err(Failure::Again(format!("expected a welcome, got {other:?}"))),
    };
    for process in agents.processes() {
        if !wanted.iter().any(|w| w.process == process) {
            agents.forget(&process);
        }
    }
    for want in wanted {
        if !agents.holds(&want.process) {
            continue;
        }
        // Lines it forgets are told by `Took`, once the hub stored them.
        for (seq, text) in agents.lines_after(&want.process, want.lines) {
            let line = RunnerFrame::Line {
                process: want.process.clone(),
                seq,
                text,
            };
            send(&mut socket, &line).await.map_err(Failure::Again)?;
        }
        if let Some((lines, code)) = agents.exit_of(&want.process) {
            let exited = RunnerFrame::Exited {
                process: want.process.clone(),
                lines,
                code,
            };
            send(&mut socket, &exited).await.map_err(Failure::Again)?;
        }
    }
    Ok(socket)
}

async fn send(socket: &mut Socket, frame: &RunnerFrame) -> Result<(), String> {
    let text = serde_json::to_string(frame).map_err(|e| e.to_string())?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| e.to_string())
}

/// The next frame from the hub; never, while there is no link.
async fn next_frame(link: &mut Option<Socket>) -> Option<Result<HubFrame, String>> {
    let Some(socket) = link.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        return match socket.next().await {
            Some(Ok(Message::Text(text))) => Some(
                serde_json::from_str::<HubFrame>(&text)
                    .map_err(|e| format!("unreadable frame from the hub: {e}")),
            ),
            Some(Ok(Message::Close(_))) | None => Some(Err("the hub closed the link".into())),
            Some(Ok(_)) => continue,
            Some(Err(error)) => Some(Err(error.to_string())),
        };
    }
}

async fn on_hub_frame(
    frame: HubFrame,
    agents: &mut Agents,
    link: &mut Option<Socket>,
) -> Result<(), Failure> {
    let reply = match frame {
        HubFrame::Welcome { .. } => None,
        HubFrame::Refused { reason } => return Err(Failure::Refused(reason)),
        HubFrame::Start { process, launch } => Some(match agents.start(&process, launch) {
            Ok(()) => RunnerFrame::Started { process },
            Err(error) => RunnerFrame::StartFailed { process, error },
        }),
        HubFrame::Stdin { process, seq, text } => {
            agents.stdin(&process, seq, text).await;
            None
        }
        HubFrame::CloseStdin { process } => {
            agents.close_stdin(&process);
            None
        }
        HubFrame::Signal { process, signal } => {
            agents.signal(&process, signal);
            None
        }
        HubFrame::Took { process, lines } => {
            agents.took(&process, lines);
            None
        }
        HubFrame::Forget { process } => {
            agents.forget(&process);
            None
        }
    };
    if let (Some(reply), Some(socket)) = (reply, link.as_mut()) {
        send(socket, &reply).await.map_err(Failure::Again)?;
    }
    Ok(())
}

/// Something an agent did: kept, and sent while the link is up.
async fn on_event(
    event: Event,
    agents: &mut Agents,
    link: &mut Option<Socket>,
    next_try: &mut tokio::time::Instant,
) {
    let frame = match event {
        Event::Line { process, text } => match agents.line(&process, &text) {
            Some(seq) => RunnerFrame::Line { process, seq, text },
            None => return,
        },
        Event::Stderr { process, text } => RunnerFrame::Stderr { process, text },
        Event::Exited { process, code } => match agents.exited(&process, code) {
            Some(lines) => RunnerFrame::Exited {
                process,
                lines,
                code,
            },
            None => return,
        },
        Event::Wrote { process, stdin } => RunnerFrame::Wrote { process, stdin },
    };
    if let Some(socket) = link.as_mut() {
        if let Err(why) = send(socket, &frame).await {
            drop_link(link, next_try, &why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_the_hubs_address_as_a_websocket() {
        assert_eq!(
            link_url("https://tandem.example.com/").unwrap(),
            "wss://tandem.example.com/api/runner/connect"
        );
        assert_eq!(
            link_url("http://127.0.0.1:8080").unwrap(),
            "ws://127.0.0.1:8080/api/runner/connect"
        );
        assert!(matches!(link_url("ftp://x"), Err(RunnerError::BadHub(_))));
        assert!(matches!(
            link_url("tandem.example.com"),
            Err(RunnerError::BadHub(_))
        ));
    }
}
