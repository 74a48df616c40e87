//! The task that sends pushes: for each device, the message encrypted with
//! its keys (RFC 8291, `aes128gcm`), signed with this server's VAPID key,
//! posted to its push service. A service that says the subscription is
//! gone (404, 410) has it dropped. Nothing waits on it: a session that
//! asks for approval goes on whether or not a phone hears of it.

use super::endpoint::{self, EndpointError};
use super::vapid::Vapid;
use crate::store::{PushTarget, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::api::{PushKind, PushMessage, PushMessageKind};
use tandem_shared::AssistantId;
use tokio::sync::{mpsc, oneshot};
use web_push_native::{p256, Auth, WebPushBuilder};

/// How long a push service keeps a push for a device that is offline.
const TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long one push service may take to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);
/// Pushes waiting to be sent; past this they are dropped (and logged).
const QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("keys: {0}")]
    Keys(&'static str),
    #[error("the push service no longer knows this device (it was removed)")]
    Gone,
    #[error("the push service answered {0}")]
    Refused(u16),
    #[error("the push service could not be reached: {0}")]
    Unreachable(String),
    #[error("could not encrypt the push: {0}")]
    Encrypt(String),
    #[error("Tandem is shutting down")]
    Closed,
}

/// A browser's keys, checked: its P-256 public key and 16-byte secret.
pub fn device_keys(p256dh: &str, auth: &str) -> Result<(p256::PublicKey, Auth), PushError> {
    let public = URL_SAFE_NO_PAD
        .decode(p256dh.trim_end_matches('='))
        .ok()
        .and_then(|raw| p256::PublicKey::from_sec1_bytes(&raw).ok())
        .ok_or(PushError::Keys(
            "p256dh is not a P-256 public key in base64url",
        ))?;
    let secret = URL_SAFE_NO_PAD
        .decode(auth.trim_end_matches('='))
        .ok()
        .filter(|raw| raw.len() == 16)
        .ok_or(PushError::Keys("auth is not 16 bytes in base64url"))?;
    Ok((public, Auth::clone_from_slice(&secret)))
}

enum Job {
    /// Everyone who may see the assistant and did not turn `kind` off.
    Assistant {
        assistant_id: AssistantId,
        kind: PushKind,
        message: PushMessage,
    },
    /// One device, with the outcome (Settings → Notifications → Test).
    Device {
        target: PushTarget,
        message: PushMessage,
        reply: oneshot::Sender<Result<(), PushError>>,
    },
}

#[derive(Clone)]
pub struct Pusher {
    tx: mpsc::Sender<Job>,
    public_key: Arc<str>,
    allow_local: bool,
}

struct Sender {
    store: Store,
    vapid: Vapid,
    contact: String,
    allow_local: bool,
    http: reqwest::Client,
    now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Pusher {
    /// Starts the sending task. `contact` is how a push service may reach
    /// whoever runs this server (VAPID `sub`: a `mailto:` or `https:` URL).
    pub fn start(
        store: Store,
        vapid: Vapid,
        contact: String,
        allow_local: bool,
        now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Pusher {
        let (tx, rx) = mpsc::channel(QUEUE);
        let public_key: Arc<str> = vapid.public_key.clone().into();
        let mut http = reqwest::Client::builder()
            .timeout(ANSWER_WITHIN)
            // A redirect could lead where the endpoint check would not.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Tandem");
        if !allow_local {
            http = http.dns_resolver(Arc::new(PublicOnly));
        }
        let sender = Sender {
            store,
            vapid,
            contact,
            allow_local,
            http: http.build().unwrap_or_default(),
            now_ms,
        };
        tokio::spawn(sender.run(rx));
        Pusher {
            tx,
            public_key,
            allow_local,
        }
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    pub fn allow_local(&self) -> bool {
        self.allow_local
    }

    /// Queues a push to those who may see `assistant_id`; never waits.
    pub fn to_assistant(&self, assistant_id: &AssistantId, kind: PushKind, message: PushMessage) {
        let job = Job::Assistant {
            assistant_id: assistant_id.clone(),
            kind,
            message,
        };
        if self.tx.try_send(job).is_err() {
            tracing::warn!("push queue full or closed: a push was dropped");
        }
    }

    /// Sends to one device and says how it went.
    pub async fn to_device(
        &self,
        target: PushTarget,
        message: PushMessage,
    ) -> Result<(), PushError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Device {
                target,
                message,
                reply,
            })
            .await
            .map_err(|_| PushError::Closed)?;
        answer.await.map_err(|_| PushError::Closed)?
    }
}

impl Sender {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            match job {
                Job::Assistant {
                    assistant_id,
                    kind,
                    message,
                } => {
                    let targets = match self.store.push_targets(&assistant_id, kind).await {
                        Ok(targets) => targets,
                        Err(error) => {
                            tracing::error!(%error, "could not read push subscriptions");
                            continue;
                        }
                    };
                    let sends = targets.iter().map(|target| self.send(target, &message));
                    for (target, result) in targets
                        .iter()
                        .zip(futures_util::future::join_all(sends).await)
                    {
                        if let Err(error) = result {
                            tracing::info!(%error, device = %target.id, "a push was not delivered");
                        }
                    }
                }
                Job::Device {
                    target,
                    message,
                    reply,
                } => {
                    let _ = reply.send(self.send(&target, &message).await);
                }
            }
        }
    }

    async fn send(&self, target: &PushTarget, message: &PushMessage) -> Result<(), PushError> {
        let url = endpoint::check(&target.endpoint, self.allow_local)?;
        let (public, auth) = device_keys(&target.p256dh, &target.auth)?;
        let uri = url
            .as_str()
            .parse()
            .map_err(|_| PushError::Endpoint(EndpointError::NotAUrl))?;
        let body = serde_json::to_vec(message).map_err(|e| PushError::Encrypt(e.to_string()))?;
        let request = WebPushBuilder::new(uri, public, auth)
            .with_valid_duration(TTL)
            .with_vapid(&self.vapid.key, &self.contact)
            .build(body)
            .map_err(|e| PushError::Encrypt(e.to_string()))?;
        let (parts, body) = request.into_parts();
        let urgency = match message.kind {
            // An approval holds a session up: delivered at once.
            PushMessageKind::Approval => "high",
            _ => "normal",
        };
        let answer = self
            .http
            .post(url)
            .headers(parts.headers)
            .header("Urgency", urgency)
            .body(body)
            .send()
            .await
            .map_err(|e| PushError::Unreachable(without_url(e)))?;
        let status = answer.status().as_u16();
        match status {
            200..=299 => {
                if let Err(error) = self.store.push_sent(&target.id, (self.now_ms)()).await {
                    tracing::warn!(%error, "could not record a push as sent");
                }
                Ok(())
            }
            404 | 410 => {
                if let Err(error) = self.store.drop_push_endpoint(&target.endpoint).await {
                    tracing::warn!(%error, "could not drop a gone push subscription");
                }
                Err(PushError::Gone)
            }
            other => Err(PushError::Refused(other)),
        }
    }
}

/// reqwest's errors name the URL, which holds the device's secret path;
/// what went wrong is in their sources.
fn without_url(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time".into();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Resolves a push service's name to public addresses only, so a name an
/// account chose cannot lead the server to its own network.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| endpoint::is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
