//! Following one session's transcript by `seq`: the session page and the
//! share page both use it. It subscribes from the last `seq` it holds
//! after every reconnect, so nothing is missed or doubled.

use crate::socket::Socket;
use leptos::prelude::*;
use tandem_shared::transcript::Transcript;
use tandem_shared::ws::ClientMessage;
use tandem_shared::{Seq, SessionId, TranscriptEvent};

#[derive(Clone, Copy)]
pub struct Follow {
    /// The session followed, if any.
    pub session: RwSignal<Option<SessionId>>,
    pub transcript: RwSignal<Transcript>,
    socket: Socket,
}

impl Follow {
    pub fn new(socket: Socket, session: Option<SessionId>) -> Follow {
        Follow {
            session: RwSignal::new(session),
            transcript: RwSignal::new(Transcript::default()),
            socket,
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
        }
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
