//! Following one session's transcript by `seq`: the session page and the
//! share page both use it. It subscribes from the last `seq` it holds
//! after every reconnect, so nothing is missed or doubled.

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
        if let Some(kept) = self.kept {
            kept.update_value(VecDeque::clear);
        }
        self.session.set(session.clone());
        if let Some(session_id) = session {
            self.socket.send(&ClientMessage::Subscribe {
                session_id,
                after: Seq::ZERO,
            });
        }
    }

    /// Events of the followed session fold in; others are not ours.
    pub fn on_events(&self, session_id: &SessionId, events: &[TranscriptEvent]) {
        if self
            .session
            .with_untracked(|s| s.as_ref() == Some(session_id))
        {
            self.transcript.update(|t| {
                for event in events {
                    t.apply(event);
                }
            });
            self.keep(events);
        }
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
            let after = self.transcript.with_untracked(|t| t.last_seq);
            self.socket
                .send(&ClientMessage::Subscribe { session_id, after });
        }
    }
}
