//! Keeping this server's lease, and the sweep of what dead servers left:
//! their sessions recorded `interrupted` (resumable anywhere), the agent
//! process groups they left on this machine ended, and their assistants'
//! queued wakes let start.

use super::manager::Sessions;
use super::{Context, Lifecycle};
use std::sync::Arc;
use std::time::Duration;

/// Renews this server's lease and, on a shared database, records the
/// sessions of servers that stopped renewing theirs as `interrupted`
/// (resumable here or anywhere), ends agent process groups that servers on
/// this machine left, and lets their assistants' queued wakes start.
pub async fn keep_lease(sessions: Arc<Sessions>) {
    let ctx = sessions.context().clone();
    let cluster = ctx.cluster.clone();
    let every = (cluster.lease() / 3).max(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = ctx.shutdown.begun() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match cluster.heartbeat().await {
            Ok(true) => {}
            Ok(false) => tracing::error!(
                node = %cluster.node_id,
                "this server's lease was taken over (another server started with its name)"
            ),
            Err(error) => tracing::warn!(%error, "could not renew this server's lease"),
        }
        if !cluster.is_shared() {
            continue;
        }
        match sessions.interrupt_orphans().await {
            Ok(freed) => {
                for assistant_id in freed {
                    let _ = ctx.lifecycle.send(Lifecycle::Freed { assistant_id }).await;
                }
            }
            Err(error) => tracing::warn!(%error, "could not sweep other servers' sessions"),
        }
        end_left_over_agents(&ctx).await;
    }
}

/// Ends the agent process groups servers on this machine left behind (a
/// killed server's agents die with it, but their children live on in the
/// group), and forgets them. Returns how many it signalled.
pub async fn end_left_over_agents(ctx: &Context) -> usize {
    let left = match ctx.cluster.left_over_agents().await {
        Ok(left) => left,
        Err(error) => {
            tracing::warn!(%error, "could not read left-over agent processes");
            return 0;
        }
    };
    let mut ended = 0;
    for process in left {
        let Ok(pgid) = i32::try_from(process.pgid) else {
            continue;
        };
        let group = crate::acp::process_group::GroupId {
            pgid,
            start_ticks: process.start_ticks,
        };
        if crate::acp::process_group::end_left_over(group) {
            ended += 1;
        }
        if let Err(error) = ctx.store.forget_agent_process(process.pgid).await {
            tracing::warn!(%error, "could not forget an ended agent process group");
        }
    }
    ended
}
