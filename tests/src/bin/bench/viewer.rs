//! WebSocket viewers that record what they receive and how late.

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tandem_shared::ws::{ClientMessage, ServerMessage};
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(url: &str, token: &str) -> Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("ws connect")?;
    Ok(socket)
}

pub async fn subscribe(socket: &mut Socket, session: &str, after: u64) -> Result<()> {
    let message = ClientMessage::Subscribe {
        session_id: SessionId(session.to_owned()),
        after: Seq(after),
        newest_first: false,
    };
    socket
        .send(Message::Text(serde_json::to_string(&message)?.into()))
        .await?;
    Ok(())
}

pub fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// What one socket saw.
#[derive(Default)]
pub struct Seen {
    /// Latency of each `t=` stamped chunk, in µs.
    pub latencies: Vec<u64>,
    pub events: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub ended: usize,
}

/// Reads until `sessions` sessions have ended (or the deadline), checking
/// each session's seqs for gaps and duplicates.
pub async fn watch(socket: &mut Socket, sessions: usize, deadline: Duration) -> Seen {
    let mut seen = Seen::default();
    let mut last: std::collections::HashMap<SessionId, u64> = Default::default();
    let until = Instant::now() + deadline;
    while seen.ended < sessions {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(left, socket.next()).await
        else {
            break;
        };
        let received = now_micros();
        let Ok(ServerMessage::Events { session_id, events }) = serde_json::from_str(text.as_str())
        else {
            continue;
        };
        let last_seq = last.entry(session_id).or_insert(0);
        for event in events {
            seen.events += 1;
            if event.seq.0 <= *last_seq {
                seen.duplicates += 1;
                continue;
            }
            if event.seq.0 != *last_seq + 1 {
                seen.gaps += 1;
            }
            *last_seq = event.seq.0;
            match &event.body {
                EventBody::AgentMessageChunk { text } => {
                    if let Some(stamp) = text
                        .trim()
                        .strip_prefix("t=")
                        .and_then(|t| t.parse::<u128>().ok())
                    {
                        seen.latencies.push(received.saturating_sub(stamp) as u64);
                    }
                }
                EventBody::StatusChange { status, .. }
                    if !status.is_live() && *status != SessionStatus::Starting =>
                {
                    seen.ended += 1;
                }
                _ => {}
            }
        }
    }
    seen
}

pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}
