//! Events of sessions whose actor runs on another server, to the viewers
//! this server has for them.
//!
//! The owner stores each batch; PostgreSQL tells every server "session S
//! stored `first..=last`" as the batch commits. A server with viewers of S
//! reads that range from the store and publishes it on its own hub, where
//! the viewers' subscriptions take it as they take a local actor's batch:
//! subscribed first, then the store read, then the tail by `seq`. A gap (a
//! notification lost while the listening connection was down) shows as a
//! batch starting past the next `seq`, and the subscription fills it from
//! the store, so nothing falls between.

use crate::hub::{Batch, Hub};
use crate::store::Store;
use std::sync::Arc;
use tandem_shared::{Seq, SessionId};

/// Most events one relayed read takes; a longer range arrives in pages.
const PAGE_EVENTS: i64 = 500;
const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// A notification's payload: "session first last".
pub fn parse_stored(payload: &str) -> Option<(SessionId, u64, u64)> {
    let mut parts = payload.split(' ');
    let session = parts.next().filter(|s| !s.is_empty())?;
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    if parts.next().is_some() || first > last || first == 0 {
        return None;
    }
    Some((SessionId(session.to_owned()), first, last))
}

/// What to read for viewers here who have been sent `published` (0:
/// nothing yet, they read the store themselves), given a stored range: the
/// `seq` to read after, or nothing when they have it all.
pub fn read_after(published: u64, first: u64, last: u64) -> Option<u64> {
    match published {
        _ if published >= last => None,
        0 => Some(first - 1),
        _ => Some(published),
    }
}

pub struct Relay {
    pub hub: Arc<Hub>,
    pub store: Store,
    /// Whether this server runs the session's actor (which publishes its
    /// own batches).
    pub runs_here: Arc<dyn Fn(&SessionId) -> bool + Send + Sync>,
}

impl Relay {
    /// A batch of `session` was stored (by any server).
    pub async fn stored(&self, session: SessionId, first: u64, last: u64) {
        if (self.runs_here)(&session) {
            return;
        }
        let Some(published) = self.hub.published(&session) else {
            return;
        };
        let Some(mut after) = read_after(published, first, last) else {
            return;
        };
        while after < last {
            let read = self
                .store
                .events_after_within(&session, Seq(after), PAGE_EVENTS, PAGE_BYTES)
                .await;
            let events = match read {
                Ok((events, _)) => events,
                Err(error) => {
                    // The viewers' next batch shows the gap; they read it.
                    tracing::warn!(session = %session, %error, "could not read events to relay");
                    return;
                }
            };
            let Some(newest) = events.last().map(|event| event.seq.0) else {
                return;
            };
            after = newest;
            self.hub
                .publish(Arc::new(Batch::new(session.clone(), events)));
        }
    }

    /// Notifications may have been lost: each watched session run elsewhere
    /// gets its newest event again, so a viewer that is behind sees the gap
    /// and reads it from the store.
    pub async fn resync(&self) {
        for (session, _) in self.hub.watched() {
            if (self.runs_here)(&session) {
                continue;
            }
            if let Ok((events, _)) = self
                .store
                .newest_events_within(&session, 1, PAGE_BYTES)
                .await
            {
                if !events.is_empty() {
                    self.hub.publish(Arc::new(Batch::new(session, events)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_read_strictly() {
        assert_eq!(
            parse_stored("ses_1 3 7"),
            Some((SessionId("ses_1".into()), 3, 7))
        );
        for bad in [
            "",
            "ses_1",
            "ses_1 3",
            "ses_1 7 3",
            "ses_1 0 2",
            "ses_1 a 2",
            "ses_1 1 2 3",
            " 1 2",
        ] {
            assert_eq!(parse_stored(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_what_the_viewers_here_lack_is_read() {
        // Nothing sent yet: the stored range.
        assert_eq!(read_after(0, 5, 9), Some(4));
        // Sent up to 6 of 5..=9: from 7.
        assert_eq!(read_after(6, 5, 9), Some(6));
        // Behind the range (a lost notification): from what was sent.
        assert_eq!(read_after(2, 5, 9), Some(2));
        // Already sent.
        assert_eq!(read_after(9, 5, 9), None);
        assert_eq!(read_after(12, 5, 9), None);
    }
}
