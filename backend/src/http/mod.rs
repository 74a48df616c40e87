//! The HTTP surface: the public API under `/api/`, the WebSocket, the
//! OpenAPI document, and the built frontend.

mod access;
mod agent_tools;
mod agents;
mod approvals;
mod assistants;
pub mod auth;
mod budgets;
mod changes;
mod choices;
pub mod error;
mod host_check;
mod openapi;
mod prices;
pub(crate) mod push;
mod routines;
mod rules;
pub mod runner_link;
pub mod runners;
mod secrets;
mod security_headers;
pub mod servers;
mod sessions;
mod share;
mod static_files;
mod tasks;
mod uri_check;
mod usage;
pub mod users;
mod wakes;
mod workspaces;
mod ws;

use crate::hub::Hub;
use crate::session::Sessions;
use crate::store::Store;
use crate::wakes::Wakes;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use error::ApiError;
use std::path::PathBuf;
use std::sync::Arc;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub sessions: Arc<Sessions>,
    pub wakes: Wakes,
    /// Wakes the routine scheduler when routines change.
    pub routines_changed: Arc<tokio::sync::Notify>,
    pub store: Store,
    pub hub: Arc<Hub>,
    pub tandem_exe: PathBuf,
    pub login_limiter: Arc<crate::accounts::rate_limit::LoginLimiter>,
    /// Agent checks running at once ("Check agent" starts a process).
    pub checks: Arc<tokio::sync::Semaphore>,
    /// The `Host` names every request must carry one of.
    pub hosts: Arc<crate::accounts::hosts::AllowedHosts>,
    /// Makes the first admin from elsewhere than a local page.
    pub setup_code: Arc<crate::accounts::setup_code::SetupCode>,
    /// Open share-link sockets, per link and per address.
    pub share_sockets: Arc<ws::caps::SocketCaps>,
    /// The pending-approvals badge, counted once per change and scope.
    pub approval_counts: Arc<ws::approval_counts::ApprovalCounts>,
    /// Web Push to people's devices.
    pub push: crate::push::Pusher,
}

impl AppState {
    /// Routines changed: this server's scheduler and every other server's
    /// on the same database read them again.
    pub fn routines_changed(&self) {
        self.routines_changed.notify_one();
        self.sessions
            .context()
            .cluster
            .signal(crate::cluster::Signal::Routines);
    }

    pub fn now_ms(&self) -> i64 {
        self.sessions.context().clock.now_ms()
    }

    pub fn team(&self) -> crate::accounts::team::Team<'_> {
        let ctx = self.sessions.context();
        crate::accounts::team::Team {
            store: &self.store,
            ids: ctx.ids.as_ref(),
            clock: ctx.clock.as_ref(),
        }
    }
}

/// API answers of at least this many bytes go out compressed when the
/// client accepts it; smaller ones (a token just made, say) never are.
pub const COMPRESS_ABOVE: u16 = 1024;

/// Brotli or gzip at a middle level: a list of sessions shrinks about
/// tenfold for well under a millisecond of work.
fn api_compression(
) -> tower_http::compression::CompressionLayer<tower_http::compression::predicate::SizeAbove> {
    tower_http::compression::CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Precise(4))
        .compress_when(tower_http::compression::predicate::SizeAbove::new(
            COMPRESS_ABOVE,
        ))
}

pub fn router(state: AppState, static_dir: Option<PathBuf>) -> Router {
    let hosts = state.hosts.clone();
    let api = Router::new()
        .route("/health", get(agents::health))
        .route("/agents", get(agents::list))
        .route("/sandbox", get(agents::sandbox))
        .route("/agents/check", post(agents::check_kind))
        .route(
            "/workspaces",
            get(workspaces::list).post(workspaces::create),
        )
        .route("/auth/state", get(auth::state))
        .route("/auth/setup", post(auth::setup))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route("/users", get(users::list).post(users::create))
        .route("/servers", get(servers::list))
        .route("/runners", get(runners::list).post(runners::create))
        .route("/runners/{id}", axum::routing::delete(runners::revoke))
        .route("/runner/connect", get(runner_link::connect))
        .route(
            "/assistants/{id}/runner",
            get(runners::assistant_runner).put(runners::set_assistant_runner),
        )
        .route("/usage", get(usage::get))
        .route("/budgets", get(budgets::list))
        .route("/prices", get(prices::list))
        .route(
            "/prices/{model}",
            axum::routing::put(prices::set).delete(prices::remove),
        )
        .route(
            "/budgets/team",
            axum::routing::put(budgets::set_team).delete(budgets::remove_team),
        )
        .route(
            "/assistants/{id}/budget",
            get(budgets::of_assistant)
                .put(budgets::set_assistant)
                .delete(budgets::remove_assistant),
        )
        .route("/usage.csv", get(usage::csv))
        .route("/tokens", get(users::tokens).post(users::create_token))
        .route("/tokens/{id}", axum::routing::delete(users::revoke_token))
        .route(
            "/assistants/{id}/members",
            get(users::members).post(users::add_member),
        )
        .route("/assistants/{id}/secrets", get(secrets::list))
        .route("/assistants/{id}/check", post(agents::check))
        .route(
            "/assistants/{id}/choices",
            get(choices::list_defaults).post(choices::choose_default),
        )
        .route(
            "/assistants/{id}/secrets/{name}",
            axum::routing::put(secrets::put).delete(secrets::delete),
        )
        .route(
            "/assistants/{id}/members/{user_id}",
            axum::routing::delete(users::remove_member),
        )
        .route(
            "/assistants",
            get(assistants::list).post(assistants::create),
        )
        .route(
            "/assistants/{id}",
            get(assistants::get).patch(assistants::update),
        )
        .route(
            "/assistants/{id}/journal",
            get(assistants::journal).post(assistants::add_journal_entry),
        )
        .route(
            "/assistants/{id}/chat",
            get(wakes::chat).post(wakes::post_chat),
        )
        .route("/assistants/{id}/wakes", get(wakes::list))
        .route("/assistants/{id}/heartbeat", post(wakes::heartbeat))
        .route(
            "/assistants/{id}/routines",
            get(routines::list).post(routines::create),
        )
        .route(
            "/routines/{id}",
            axum::routing::patch(routines::update).delete(routines::delete),
        )
        .route("/rules", get(rules::list_tandem).post(rules::create_tandem))
        .route("/rules/{id}", axum::routing::delete(rules::delete))
        .route(
            "/assistants/{id}/rules",
            get(rules::list_assistant).post(rules::create_assistant),
        )
        .route("/tasks", get(tasks::list).post(tasks::create))
        .route("/tasks/{id}", get(tasks::get).patch(tasks::update))
        .route(
            "/settings/constitution",
            get(assistants::org_constitution).put(assistants::set_org_constitution),
        )
        .route("/sessions", get(sessions::list).post(sessions::create))
        .route("/sessions/archive", post(sessions::archive))
        .route("/share-links", get(share::list_all))
        .route("/sessions/{id}", get(sessions::get))
        .route("/sessions/{id}/events", get(sessions::events))
        .route("/sessions/{id}/messages", post(sessions::send_message))
        .route("/sessions/{id}/stop", post(sessions::stop))
        .route("/sessions/{id}/pause", post(sessions::pause))
        .route("/sessions/{id}/resume", post(sessions::resume))
        .route("/sessions/{id}/changes", get(changes::changes))
        .route("/sessions/{id}/review", post(changes::send_review))
        .route("/sessions/{id}/land", post(changes::land))
        .route("/assistants/{id}/worktrees", get(changes::worktrees))
        .route(
            "/sessions/{id}/choices",
            get(choices::list).post(choices::choose),
        )
        .route(
            "/sessions/{id}/share-links",
            get(share::list).post(share::create),
        )
        .route(
            "/sessions/{id}/share-links/{link_id}",
            axum::routing::delete(share::revoke),
        )
        .route("/share/{token}", get(share::shared))
        .route("/share/{token}/events", get(share::events))
        .route("/share/{token}/ws", get(share::socket))
        .route("/approvals", get(approvals::pending))
        .route("/approvals/{id}/decision", post(approvals::decide))
        .route("/push/key", get(push::key))
        .route("/push/devices", get(push::devices).post(push::subscribe))
        .route("/push/devices/{id}", axum::routing::delete(push::remove))
        .route("/push/devices/{id}/test", post(push::test))
        .route("/push/mutes", get(push::mutes).put(push::set_mutes))
        .route("/agent-tools/call", post(agent_tools::call))
        .route("/ws", get(ws::upgrade))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { ApiError::NotFound("no such API route".into()) })
        .layer(api_compression())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    // Checked at start: a hash and fixed words are valid header text.
    let policy =
        axum::http::HeaderValue::from_str(&security_headers::policy_for(static_dir.as_deref()))
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .nest("/api", api)
        .fallback_service(static_files::service(static_dir))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            security_headers::add,
        ))
        .layer(axum::middleware::from_fn(uri_check::check))
        .layer(axum::middleware::from_fn_with_state(
            hosts,
            host_check::check,
        ))
}
