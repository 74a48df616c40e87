//! Following one session's transcript by `seq`: the session page and the
//! share page both use it. It subscribes from the last `seq` it holds
//! after every reconnect, so nothing is missed or doubled.
//!
//! A session opens newest first: the server sends its newest events (a
//! `tail`), which are shown at once, then the whole log from the start,
//! which is folded out of sight and takes the tail's place when it has
//! caught up. Folding a long log while showing it would re-render the
//! live end for every page of it, and the first paint would wait behind
//! them.

use crate::socket::Socket;
use leptos::prelude::*;
use std::collections::VecDeque;
use tandem_shared::api::SessionSummary;
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::ClientMessage;
use tandem_shared::{Seq, SessionId, TranscriptEvent};

#[derive(Clone, Copy)]
pub struct Follow {
    /// The session followed, if any.
    pub session: RwSignal<Option<SessionId>>,
    pub transcript: RwSignal<Transcript>,
    /// The whole log being folded while the tail is shown; `None` once it
    /// has caught up (or when no tail came: a short session shows as it
    /// folds).
    folding: StoredValue<Option<Transcript>>,
    /// Whether entries older than the tail are still on their way.
    pub catching_up: RwSignal<bool>,
    socket: Socket,
    /// The newest events, kept for reading offline (the session page's
    /// follower only; a share page keeps nothing).
    kept: Option<StoredValue<VecDeque<TranscriptEvent>>>,
    keeping: StoredValue<bool>,
    /// Where a kept session's title is found.
    titles: Option<RwSignal<Vec<SessionSummary>>>,
}

impl Follow {
    pub fn new(socket: Socket, session: Option<SessionId>) -> Follow {
        Follow {
            session: RwSignal::new(session),
            transcript: RwSignal::new(Transcript::default()),
            folding: StoredValue::new(None),
            catching_up: RwSignal::new(false),
            socket,
            kept: None,
            keeping: StoredValue::new(false),
            titles: None,
        }
    }

    /// A follower whose sessions are also kept for reading offline.
    pub fn keeping_offline(
        socket: Socket,
        session: Option<SessionId>,
        titles: RwSignal<Vec<SessionSummary>>,
    ) -> Follow {
        Follow {
            kept: Some(StoredValue::new(VecDeque::new())),
            titles: Some(titles),
            ..Follow::new(socket, session)
        }
    }

    /// Follows `session` instead (or nothing), from its first event.
    pub fn follow(&self, session: Option<SessionId>) {
        let current = self.session.get_untracked();
        if current == session {
            return;
        }
        if let Some(old) = current {
            self.socket
                .send(&ClientMessage::Unsubscribe { session_id: old });
        }
        self.transcript.set(Transcript::default());
        self.folding.set_value(None);
        self.catching_up.set(false);
        if let Some(kept) = self.kept {
            kept.update_value(VecDeque::clear);
        }
        self.session.set(session.clone());
        if let Some(session_id) = session {
            self.socket.send(&ClientMessage::Subscribe {
                session_id,
                after: Seq::ZERO,
                newest_first: true,
            });
        }
    }

    fn is_followed(&self, session_id: &SessionId) -> bool {
        self.session
            .with_untracked(|s| s.as_ref() == Some(session_id))
    }

    /// The newest events, before the replay: shown at once, while the
    /// replay folds out of sight. Only for a follower that holds nothing
    /// yet (a tail after a reconnect would go backwards).
    pub fn on_tail(&self, session_id: &SessionId, events: &[TranscriptEvent]) {
        let empty = self.transcript.with_untracked(|t| t.last_seq == Seq::ZERO);
        if !self.is_followed(session_id) || !empty || self.folding.with_value(Option::is_some) {
            return;
        }
        crate::marks::once(crate::marks::FIRST_EVENTS);
        let mut tail = Transcript::default();
        for event in events {
            tail.apply(event);
        }
        self.folding.set_value(Some(Transcript::default()));
        self.catching_up.set(true);
        self.transcript.set(tail);
    }

    /// The replay has caught up: the whole log takes the tail's place.
    pub fn on_caught_up(&self, session_id: &SessionId) {
        if !self.is_followed(session_id) {
            return;
        }
        if let Some(whole) = self.folding.try_update_value(Option::take).flatten() {
            self.transcript.set(whole);
            self.catching_up.set(false);
        }
    }

    /// Events of the followed session fold in; others are not ours.
    pub fn on_events(&self, session_id: &SessionId, events: &[TranscriptEvent]) {
        if !self.is_followed(session_id) {
            return;
        }
        let out_of_sight = self.folding.try_update_value(|folding| match folding {
            Some(whole) => {
                for event in events {
                    whole.apply(event);
                }
                true
            }
            None => false,
        });
        if out_of_sight != Some(true) {
            crate::marks::once(crate::marks::FIRST_EVENTS);
            self.transcript.update(|t| {
                for event in events {
                    t.apply(event);
                }
            });
        }
        self.keep(events);
    }

    /// Keeps the newest events and, at most every two seconds, writes them
    /// for reading offline.
    fn keep(&self, events: &[TranscriptEvent]) {
        let Some(kept) = self.kept else {
            return;
        };
        kept.update_value(|all| {
            all.extend(events.iter().cloned());
            let over = all.len().saturating_sub(crate::offline::EVENTS);
            all.drain(..over);
        });
        if self.keeping.get_value() {
            return;
        }
        self.keeping.set_value(true);
        let this = *self;
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(2_000).await;
            this.keeping.set_value(false);
            let Some(session_id) = this.session.get_untracked() else {
                return;
            };
            let events: Vec<TranscriptEvent> = kept.with_value(|all| all.iter().cloned().collect());
            let listed = this.titles.and_then(|titles| {
                titles.with_untracked(|all| {
                    all.iter()
                        .find(|s| s.id == session_id)
                        .map(|s| s.title.clone())
                })
            });
            let title = this
                .transcript
                .with_untracked(|t| t.title.clone())
                .or(listed)
                .unwrap_or_else(|| "Session".into());
            crate::pieces::keep(crate::offline::Kept {
                session_id,
                title,
                saved_at: js_sys::Date::now(),
                events,
            })
            .await;
        });
    }

    /// After every (re)connect: subscribe again from the last `seq` held.
    pub fn resubscribe(&self) {
        if let Some(session_id) = self.session.get_untracked() {
            // While the log folds out of sight, its progress is what is
            // held; the tail shown is not.
            let after = self
                .folding
                .with_value(|folding| folding.as_ref().map(|whole| whole.last_seq))
                .unwrap_or_else(|| self.transcript.with_untracked(|t| t.last_seq));
            self.socket.send(&ClientMessage::Subscribe {
                session_id,
                after,
                newest_first: after == Seq::ZERO,
            });
        }
    }
}
