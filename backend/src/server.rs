//! Bringing Tandem up: data directory, store, start-up sweep, the demo
//! assistant, and the HTTP server on one port.

use crate::clock::Seams;
use crate::http::{self, AppState};
use crate::hub::Hub;
use crate::routines::RoutineScheduler;
use crate::session::{Context, RuntimeConfig, Sessions};
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::wakes::Dispatcher;
use std::future::Future;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::api::{AgentSpec, Assistant};
use tandem_shared::AssistantId;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `tandem.db` in the data
    /// directory.
    pub database_url: Option<String>,
    pub static_dir: Option<PathBuf>,
    /// Where every account may keep workspaces (default: the data
    /// directory's `workspaces`).
    pub workspace_root: Option<PathBuf>,
    /// Where people reach Tandem (`https://tandem.example.com`): its host
    /// is one this server answers to.
    pub public_origin: Option<String>,
    /// More host names this server answers to, besides IP addresses and
    /// `localhost`.
    pub allowed_hosts: Vec<String>,
    /// Push to endpoints on this machine or its network, and over plain
    /// `http` (tests, a self-hosted push service).
    pub push_allow_local: bool,
    /// This server's name among the servers on one database (default: the
    /// machine and the port).
    pub node_name: Option<String>,
    /// How long a server that stops renewing its lease keeps its sessions.
    pub lease: Duration,
    /// How long a runner may be out of reach before its sessions end.
    pub runner_timeout: Duration,
    pub runtime: RuntimeConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot use the workspace root {path}: {source}")]
    WorkspaceRoot {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] crate::secrets::VaultError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Hosts(#[from] crate::accounts::hosts::HostsError),
    #[error(transparent)]
    Push(#[from] crate::push::vapid::VapidError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// Who runs this server, for push services (VAPID `sub`): its public
/// origin when it has one.
fn push_contact(public_origin: Option<&str>) -> String {
    match public_origin {
        Some(origin) if origin.starts_with("https://") => origin.trim_end_matches('/').to_owned(),
        _ => "mailto:tandem@localhost".to_owned(),
    }
}

pub fn default_database_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("tandem.db").display())
}

/// How long shutdown waits for session actors to cancel their agents'
/// turns, end the agents' process groups and record their sessions
/// `interrupted`; and then for open HTTP requests to finish.
const ACTORS_GRACE: Duration = Duration::from_secs(10);
const REQUESTS_GRACE: Duration = Duration::from_secs(5);

/// Runs until `stop` completes, then shuts down in order: stop accepting,
/// end every session's run (its agent is cancelled, then its process group
/// terminated; the session is recorded `interrupted`, resumable), stop the
/// dispatcher and scheduler, write what the store writer holds, close the
/// pool. Prints `Tandem listening on http://…` once the port is bound.
pub async fn serve(
    config: ServeConfig,
    seams: Seams,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServeError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let data_dir = config
        .data_dir
        .canonicalize()
        .map_err(|source| ServeError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
    let url = config
        .database_url
        .clone()
        .unwrap_or_else(|| default_database_url(&data_dir));
    let store = Store::connect(&url).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    let bound = listener.local_addr().map_err(ServeError::Serve)?;
    let vault = Arc::new(crate::secrets::Vault::open(&data_dir)?);
    let vapid = crate::push::vapid::Vapid::open(&data_dir)?;
    let cluster = Arc::new(crate::cluster::Cluster::new(
        store.clone(),
        seams.clock.clone(),
        format!("node_{}", uuid::Uuid::new_v4().simple()),
        config.node_name.clone().unwrap_or_else(|| {
            crate::cluster::node::default_name(&crate::cluster::node::host_name(), bound.port())
        }),
        config.lease,
    ));
    cluster
        .check_key(
            "secrets key",
            crate::secrets::vault::KEY_FILE,
            vault.fingerprint(),
        )
        .await?;
    cluster
        .check_key("push key", crate::push::vapid::FILE, &vapid.public_key)
        .await?;
    cluster.register(&bound.to_string()).await?;
    let root = config
        .workspace_root
        .clone()
        .unwrap_or_else(|| data_dir.join("workspaces"));
    let places = crate::workspaces::Places::open(&root, &data_dir)
        .map_err(|source| ServeError::WorkspaceRoot { path: root, source })?;
    let hub = Arc::new(Hub::new());
    if let Some(signals) = cluster.signal_sender() {
        hub.tell_cluster(signals);
    }
    let clock = seams.clock.clone();
    let push = crate::push::Pusher::start(
        store.clone(),
        vapid,
        push_contact(config.public_origin.as_deref()),
        config.push_allow_local,
        Arc::new(move || clock.now_ms()),
    );
    let shutdown = Shutdown::new();
    let runners = crate::runners::links::Links::new(config.runner_timeout);
    let runners = Arc::new(if cluster.is_shared() {
        runners.sharing(store.clone())
    } else {
        runners
    });
    let (lifecycle, lifecycle_rx) = tokio::sync::mpsc::channel(1024);
    let ctx = Arc::new(Context {
        appender: crate::store::Appender::start(store.clone()),
        store: store.clone(),
        lifecycle,
        tool_tokens: Arc::new(if cluster.is_shared() {
            crate::agent_tools::ToolTokens::shared(store.clone())
        } else {
            crate::agent_tools::ToolTokens::default()
        }),
        api_url: Arc::new(std::sync::OnceLock::new()),
        hub: hub.clone(),
        clock: seams.clock,
        ids: seams.ids,
        config: config.runtime.clone(),
        shutdown: shutdown.clone(),
        vault,
        places,
        push,
        cluster: cluster.clone(),
        runners: runners.clone(),
    });
    let sessions = Arc::new(Sessions::new(ctx.clone()));
    let ended = crate::session::sweep::end_left_over_agents(&ctx).await;
    if ended > 0 {
        tracing::info!(
            ended,
            "agent process groups left by the last run were ended"
        );
    }
    let interrupted = sessions.interrupt_orphans().await?;
    if !interrupted.is_empty() {
        tracing::info!(
            assistants = interrupted.len(),
            "sessions cut off by the last stop are now interrupted"
        );
    }
    let routines_changed = Arc::new(tokio::sync::Notify::new());
    shutdown.spawn(crate::session::sweep::keep_lease(sessions.clone()));
    let mut cluster_tasks = Vec::new();
    if cluster.is_shared() {
        shutdown.spawn(crate::session::forwarded::serve_forwarded(sessions.clone()));
        let registry_sessions = sessions.clone();
        cluster_tasks.push(tokio::spawn(
            crate::cluster::listen::Listening {
                cluster: cluster.clone(),
                relay: crate::cluster::relay::Relay {
                    hub: hub.clone(),
                    store: store.clone(),
                    runs_here: Arc::new(move |id| registry_sessions.is_live(id)),
                },
                hub: hub.clone(),
                store: store.clone(),
                routines_changed: routines_changed.clone(),
                runners: runners.clone(),
            }
            .run(),
        ));
        cluster_tasks.push(tokio::spawn(crate::cluster::listen::send_signals(
            cluster.clone(),
            store.clone(),
        )));
    }
    ensure_demo_assistant(&ctx, &data_dir).await?;
    let (dispatcher, wakes) = Dispatcher::new(ctx.clone(), sessions.clone(), lifecycle_rx);
    shutdown.spawn(dispatcher.run());
    let trimmer = tokio::spawn(crate::memory::give_back_freed_memory());
    cluster_tasks.push(tokio::spawn(crate::runners::expire_gone(runners.clone())));
    shutdown.spawn(
        RoutineScheduler {
            store: store.clone(),
            wakes: wakes.clone(),
            clock: ctx.clock.clone(),
            changed: routines_changed.clone(),
            shutdown: shutdown.clone(),
        }
        .run(),
    );

    let hosts = crate::accounts::hosts::AllowedHosts::new(
        config.public_origin.as_deref(),
        &config.allowed_hosts,
    )?;
    let setup_code = crate::accounts::setup_code::SetupCode::new();
    let first_run = store.user_count().await? == 0;
    let state = AppState {
        hosts: Arc::new(hosts),
        setup_code: Arc::new(setup_code.clone()),
        share_sockets: Arc::default(),
        approval_counts: Arc::default(),
        push: ctx.push.clone(),
        sessions: sessions.clone(),
        wakes,
        routines_changed,
        store: store.clone(),
        hub,
        tandem_exe: config.runtime.tandem_exe.clone(),
        login_limiter: Arc::new(Default::default()),
        checks: Arc::new(tokio::sync::Semaphore::new(2)),
    };
    let app = http::router(state, config.static_dir.clone())
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let _ = ctx.api_url.set(format!("http://{bound}"));
    if first_run {
        // Only the console shows it: whoever started Tandem makes the
        // first admin, not a page that reached the port first.
        println!(
            "First run: make the first admin account at http://{bound}/ on this machine; \
             from another machine, or at another name, enter the setup code {}",
            setup_code.shown()
        );
    }
    println!("Tandem listening on http://{bound}");
    // Small frames (a subscription's events, a live chunk) go out at once:
    // with Nagle's algorithm on, one behind an unacknowledged frame waited
    // for the peer's delayed ACK, about 40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    // The client address is what login attempts are counted by.
    let mut http = tokio::spawn(
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.begun_owned())
        .into_future(),
    );
    tokio::select! {
        _ = stop => {}
        served = &mut http => {
            shutdown.begin();
            return match served {
                Ok(result) => result.map_err(ServeError::Serve),
                Err(error) => Err(ServeError::Serve(std::io::Error::other(error))),
            };
        }
    }
    tracing::info!(live = sessions.live_count(), "shutting down");
    shutdown.begin();
    if !shutdown.finished(ACTORS_GRACE).await {
        tracing::warn!(
            running = shutdown.running(),
            "sessions still ending after the grace; their agents are killed on exit"
        );
    }
    match tokio::time::timeout(REQUESTS_GRACE, http).await {
        Ok(Ok(Err(error))) => tracing::warn!(%error, "the HTTP server ended with an error"),
        Err(_) => tracing::warn!("requests still open after the grace; closing them"),
        _ => {}
    }
    trimmer.abort();
    ctx.appender.finish().await;
    cluster.stopped().await;
    for task in cluster_tasks {
        task.abort();
    }
    store.close().await;
    tracing::info!("Tandem stopped");
    Ok(())
}

/// A fresh install offers one assistant that works without any AI account:
/// the built-in shell agent in its own workspace.
async fn ensure_demo_assistant(
    ctx: &Context,
    data_dir: &std::path::Path,
) -> Result<(), ServeError> {
    if !ctx
        .store
        .list_assistants(crate::store::Scope::All)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let workspace = data_dir.join("workspaces").join("demo");
    std::fs::create_dir_all(&workspace).map_err(|source| ServeError::DataDir {
        path: workspace.clone(),
        source,
    })?;
    let demo = Assistant {
        id: AssistantId(ctx.ids.new_id("ast")),
        name: "Demo".into(),
        color: "#2f9e77".into(),
        agent: AgentSpec::Shell,
        workspace: workspace.display().to_string(),
        persona: "Demo runs shell commands in its workspace, one per line, after asking.".into(),
        constitution: String::new(),
        memory: String::new(),
        created_at: ctx.clock.now_ms(),
        archived_at: None,
        sessions: Default::default(),
    };
    ctx.store.create_assistant(&demo).await?;
    crate::session::rules::add_defaults(ctx, &demo).await?;
    Ok(())
}
