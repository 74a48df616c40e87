//! The one LISTEN connection a server keeps to PostgreSQL, and what each
//! channel's notifications do here. A notification only says "look": the
//! rows are the truth, so one lost while the connection was down costs a
//! look at the store, never data.

use super::relay::{parse_stored, Relay};
use super::{Cluster, Signal, COMMANDS_CHANNEL, REPLIES_CHANNEL, SIGNALS_CHANNEL};
use crate::hub::Hub;
use crate::store::{Store, EVENTS_CHANNEL};
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;

/// A signal as it crosses: who sent it, and what.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    signal: Signal,
}

pub struct Listening {
    pub cluster: Arc<Cluster>,
    pub relay: Relay,
    pub hub: Arc<Hub>,
    pub store: Store,
    /// Wakes this server's routine scheduler.
    pub routines_changed: Arc<tokio::sync::Notify>,
    pub runners: Arc<crate::runners::links::Links>,
}

/// Sends this node's signals to the others, in order.
pub async fn send_signals(cluster: Arc<Cluster>, store: Store) {
    let Some(mut signals) = cluster.take_signals() else {
        return;
    };
    while let Some(signal) = signals.recv().await {
        let envelope = Envelope {
            from: cluster.node_id.clone(),
            signal,
        };
        let Ok(payload) = serde_json::to_string(&envelope) else {
            continue;
        };
        if let Err(error) = store.notify(SIGNALS_CHANNEL, &payload).await {
            tracing::debug!(%error, "could not tell the other servers");
        }
    }
}

impl Listening {
    /// Listens until the task is dropped, reconnecting as needed; after
    /// each reconnection it looks again at what it may have missed.
    pub async fn run(self) {
        loop {
            let mut listener = match self.connect().await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen to PostgreSQL; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            self.missed().await;
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        self.on(notification.channel(), notification.payload())
                            .await
                    }
                    // The connection dropped; it comes back on the next call.
                    Ok(None) => self.missed().await,
                    Err(error) => {
                        tracing::warn!(%error, "the PostgreSQL listener failed; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                }
            }
        }
    }

    async fn connect(&self) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect(self.store.url()).await?;
        listener
            .listen_all([
                EVENTS_CHANNEL,
                SIGNALS_CHANNEL,
                COMMANDS_CHANNEL,
                REPLIES_CHANNEL,
            ])
            .await?;
        Ok(listener)
    }

    /// What notifications may have said while nobody listened.
    async fn missed(&self) {
        self.relay.resync().await;
        self.cluster.commands_ready.notify_one();
        self.cluster.wake_all_waiters();
        self.hub.approvals_changed_here();
        self.hub.access_changed_here();
        self.routines_changed.notify_one();
    }

    async fn on(&self, channel: &str, payload: &str) {
        match channel {
            EVENTS_CHANNEL => match parse_stored(payload) {
                Some((session, first, last)) => self.relay.stored(session, first, last).await,
                None => tracing::debug!(payload, "unreadable events notification"),
            },
            SIGNALS_CHANNEL => match serde_json::from_str::<Envelope>(payload) {
                Ok(envelope) if envelope.from != self.cluster.node_id => {
                    self.on_signal(envelope.signal).await
                }
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "unreadable signal"),
            },
            COMMANDS_CHANNEL if addressed_to(payload, &self.cluster.node_id).is_some() => {
                self.cluster.commands_ready.notify_one();
            }
            REPLIES_CHANNEL => {
                if let Some(id) = addressed_to(payload, &self.cluster.node_id) {
                    self.cluster.replied(id);
                }
            }
            _ => {}
        }
    }

    async fn on_signal(&self, signal: Signal) {
        match signal {
            Signal::Session { id } => match self.store.get_session(&id).await {
                Ok(Some(record)) => self.hub.publish_session_here(record.summary),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(%error, "could not read a session another server changed")
                }
            },
            Signal::Approvals => self.hub.approvals_changed_here(),
            Signal::Access => self.hub.access_changed_here(),
            Signal::Routines => self.routines_changed.notify_one(),
            Signal::RunnerRevoked { id } => self.runners.revoke(&id),
        }
    }
}

/// "node id": the id, when the notification is for `node`.
fn addressed_to<'a>(payload: &'a str, node: &str) -> Option<&'a str> {
    let (to, id) = payload.split_once(' ')?;
    (to == node && !id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::SessionId;

    #[test]
    fn only_this_nodes_commands_are_taken() {
        assert_eq!(addressed_to("node_a cmd_1", "node_a"), Some("cmd_1"));
        assert_eq!(addressed_to("node_b cmd_1", "node_a"), None);
        assert_eq!(addressed_to("node_a", "node_a"), None);
        assert_eq!(addressed_to("node_a ", "node_a"), None);
    }

    #[test]
    fn a_signal_names_its_sender() {
        let text = serde_json::to_string(&Envelope {
            from: "node_a".into(),
            signal: Signal::Session {
                id: SessionId("ses_1".into()),
            },
        })
        .unwrap();
        assert_eq!(text, r#"{"from":"node_a","kind":"session","id":"ses_1"}"#);
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back.signal,
            Signal::Session {
                id: SessionId("ses_1".into())
            }
        );
        assert!(serde_json::from_str::<Envelope>(r#"{"from":"x","kind":"reboot"}"#).is_err());
    }
}
