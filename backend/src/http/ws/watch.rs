//! What a socket watches besides its subscriptions: a person's sidebar
//! updates and pending-approvals count (filtered to what they may see), or
//! a share link's life (its socket ends with it).

use super::*;
use std::time::Duration;

/// Credentials are checked again at least this often, besides at once on
/// every change made through the API: a login or token that expires, or one
/// revoked from the command line (another process), ends its sockets
/// within this time.
const RECHECK: Duration = Duration::from_secs(30);

/// The assistants a person sees; `None` for everything (an admin).
async fn visible_assistants(state: &AppState, caller: &Caller) -> Option<HashSet<AssistantId>> {
    if caller.user.admin {
        return None;
    }
    match state.store.member_of(&caller.user.id).await {
        Ok(ids) => Some(ids.into_iter().collect()),
        Err(err) => {
            tracing::error!(%err, "store error reading membership");
            Some(HashSet::new())
        }
    }
}

/// A person's socket: sidebar updates of the sessions they may see, and
/// their pending-approvals count whenever it changes. It ends (and so does
/// the socket) when the person's login or token does.
pub(super) async fn watch_person(state: AppState, caller: Caller, out: Out) {
    let mut sidebar = state.hub.subscribe_sidebar();
    let mut access = state.hub.watch_access();
    let mut approvals = state.hub.watch_approvals();
    let mut visible = visible_assistants(&state, &caller).await;
    let mut count: Option<i64> = None;
    let mut recheck_at = tokio::time::Instant::now() + RECHECK;
    loop {
        let generation = *approvals.borrow_and_update();
        let counted = state
            .approval_counts
            .count(&state.store, &caller, generation)
            .await;
        match counted {
            Ok(now) if count != Some(now) => {
                count = Some(now);
                let count = u32::try_from(now).unwrap_or(u32::MAX);
                if out
                    .send(ServerMessage::PendingApprovals { count })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(_) => {}
            Err(err) => tracing::error!(%err, "store error counting approvals"),
        }
        loop {
            tokio::select! {
                update = sidebar.recv() => match update {
                    Ok(entry) => {
                        let shown = visible.as_ref().is_none_or(|ids| ids.contains(&entry.session.assistant_id));
                        if shown && out.sidebar(entry).await.is_err() {
                            return;
                        }
                    }
                    // Sidebar entries are whole states: a missed one is
                    // superseded by the next for that session.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                changed = recheck_or_change(&mut access, recheck_at) => {
                    if !changed {
                        return;
                    }
                    // A login or token that ended takes its sockets with
                    // it; the page shows the login.
                    if !caller.still_valid(&state).await.unwrap_or(true) {
                        let _ = out
                            .send(error(
                                ErrorCode::Unauthorized,
                                "your login has ended; log in again",
                                None,
                            ))
                            .await;
                        return;
                    }
                    visible = visible_assistants(&state, &caller).await;
                    recheck_at = tokio::time::Instant::now() + RECHECK;
                    break;
                }
                changed = approvals.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// A share link's socket lives while its link does: until it is revoked,
/// its maker may no longer see the session (access changes), or its expiry
/// passes.
pub(super) async fn watch_link(state: AppState, link: ShareLink, out: Out) {
    let mut access = state.hub.watch_access();
    loop {
        let now = state.now_ms();
        if !state
            .store
            .share_link_live(&link.id, now)
            .await
            .unwrap_or(false)
        {
            let _ = out
                .send(error(
                    ErrorCode::LinkRevoked,
                    "this share link has been revoked or has expired",
                    Some(link.session_id.clone()),
                ))
                .await;
            return;
        }
        let until_expiry = link
            .expires_at
            .map(|at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0)))
            .unwrap_or(RECHECK)
            .min(RECHECK);
        tokio::select! {
            changed = access.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(until_expiry) => {}
        }
    }
}

/// Waits for a change of access, or the time of the periodic recheck;
/// false when the hub is gone.
async fn recheck_or_change(
    access: &mut tokio::sync::watch::Receiver<u64>,
    at: tokio::time::Instant,
) -> bool {
    tokio::select! {
        changed = access.changed() => changed.is_ok(),
        _ = tokio::time::sleep_until(at) => true,
    }
}
