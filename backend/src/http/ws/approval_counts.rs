//! The pending-approvals badge, counted once per change for everyone who
//! sees the same approvals (all admins alike, each other person alone),
//! however many sockets they have open: the first socket to wake after a
//! change counts, the others wait for it and take its answer.

use crate::http::auth::Caller;
use crate::store::{Scope, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tandem_shared::UserId;

/// The last count and the change it was taken after.
type Slot = Arc<tokio::sync::Mutex<Option<(u64, i64)>>>;

#[derive(Default)]
pub struct ApprovalCounts {
    /// `None` for admins (they see every approval), else the person.
    slots: Mutex<HashMap<Option<UserId>, Slot>>,
}

impl ApprovalCounts {
    /// Pending approvals `caller` may answer, as of change `generation`
    /// (read before calling, so a change during the count is counted again).
    pub async fn count(
        &self,
        store: &Store,
        caller: &Caller,
        generation: u64,
    ) -> Result<i64, StoreError> {
        let key = match caller.scope() {
            Scope::All => None,
            Scope::MemberOf(user) => Some(user.clone()),
        };
        let slot = self
            .slots
            .lock()
            .ok()
            .map(|mut slots| slots.entry(key).or_default().clone());
        // A panic elsewhere poisoned the map: count alone.
        let Some(slot) = slot else {
            return store.pending_approval_count(caller.scope()).await;
        };
        let mut last = slot.lock().await;
        if let Some((counted_after, count)) = *last {
            if counted_after >= generation {
                return Ok(count);
            }
        }
        let count = store.pending_approval_count(caller.scope()).await?;
        *last = Some((generation, count));
        Ok(count)
    }
}
