//! Messages on the WebSocket `/api/ws`.
//!
//! A client subscribes to any number of sessions, each from the last `seq` it
//! holds; the server answers with the stored events after it, then the live
//! tail, with no gap and no duplicate. Every socket also receives sidebar
//! updates.

use crate::api::SessionSummary;
use crate::{Seq, SessionId, TranscriptEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Send every event with `seq > after`, then the live tail.
    Subscribe {
        session_id: SessionId,
        after: Seq,
    },
    Unsubscribe {
        session_id: SessionId,
    },
    Ping {
        nonce: u64,
    },
}

impl ClientMessage {
    /// Decodes one text frame; the error says what is wrong with it.
    pub fn decode(text: &str) -> Result<ClientMessage, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Consecutive events of one session, in `seq` order.
    Events {
        session_id: SessionId,
        events: Vec<TranscriptEvent>,
    },
    /// The replay of a subscription has been sent; live events follow.
    CaughtUp {
        session_id: SessionId,
        last_seq: Seq,
    },
    /// A session was created or changed (sidebar).
    Session {
        session: SessionSummary,
    },
    Pong {
        nonce: u64,
    },
    /// How many approvals wait across every assistant this person can
    /// see: sent on connect and whenever it changes.
    PendingApprovals {
        count: u32,
    },
    /// A frame was refused, or a subscription failed: the socket stays
    /// open. Or the socket itself was refused (`unauthorized`, `not_found`,
    /// `link_revoked`): then this is its first and last frame.
    Error {
        code: crate::api::ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_id: Option<SessionId>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_have_a_type_tag() {
        let msg: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","session_id":"s1","after":7}"#).unwrap();
        assert_eq!(
            msg,
            ClientMessage::Subscribe {
                session_id: SessionId("s1".into()),
                after: Seq(7)
            }
        );
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"dance"}"#).is_err());
    }
}
