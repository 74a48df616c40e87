//! `/api/servers`: the Tandem servers on this database, for admins.

use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::AppState;
use axum::extract::State;
use tandem_shared::servers::ServerNode;

/// Every server that has not stopped, newest first, with whether it still
/// renews its lease and how many live sessions it runs.
#[utoipa::path(get, path = "/api/servers",
    responses((status = 200, body = Vec<ServerNode>), (status = 403, body = tandem_shared::api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<ServerNode>>, ApiError> {
    caller.require_admin("see the servers")?;
    let cluster = state.sessions.context().cluster.clone();
    let fresh = cluster.fresh_after();
    let counts = state.store.live_sessions_by_node(fresh).await?;
    let nodes = state.store.nodes().await?;
    Ok(ApiJson(
        nodes
            .into_iter()
            .map(|node| {
                let this_one = node.id == cluster.node_id;
                let live_sessions = if cluster.is_shared() {
                    counts.get(&node.id).copied().unwrap_or(0)
                } else if this_one {
                    state.sessions.live_count() as u32
                } else {
                    0
                };
                ServerNode {
                    alive: this_one || (cluster.is_shared() && node.seen_at > fresh),
                    this_one,
                    live_sessions,
                    id: node.id,
                    name: node.name,
                    host: node.host,
                    addr: node.addr,
                    version: node.version,
                    started_at: node.started_at,
                    seen_at: node.seen_at,
                }
            })
            .collect(),
    ))
}
