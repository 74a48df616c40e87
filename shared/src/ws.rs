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
        /// From the start (`after` 0) of a session longer than one page:
        /// its newest events first, as a `tail`, then the replay from the
        /// start. A reader sees the end at once and the page folds the
        /// whole log meanwhile, out of sight.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        newest_first: bool,
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
    /// The newest events of a session, sent before the replay of a
    /// `newest_first` subscription (only when the session holds more than
    /// them). For showing at once: the replay from the start follows, then
    /// `caught_up`; the tail's events come again in it.
    Tail {
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

impl ServerMessage {
    /// Decodes one frame tag first, its events' bodies too
    /// (`tag_first.rs`): what the web app reads from its socket.
    pub fn decode(text: &str) -> Result<ServerMessage, serde_json::Error> {
        use crate::tag_first::{decode_tag_first, Events};
        decode_tag_first!(text, "type", ServerMessage {
            "events" => Events { session_id: SessionId, events: Events },
            "tail" => Tail { session_id: SessionId, events: Events },
            "caught_up" => CaughtUp { session_id: SessionId, last_seq: Seq },
            "session" => Session { session: SessionSummary },
            "pong" => Pong { nonce: u64 },
            "pending_approvals" => PendingApprovals { count: u32 },
            "error" => Error {
                code: crate::api::ErrorCode,
                message: String,
                #[serde(default)] session_id: Option<SessionId>,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;
    use crate::event::EventBody;

    /// Every kind of frame, as the server writes it, decodes to itself, and
    /// the tag may stand anywhere.
    #[test]
    fn decode_reads_every_kind_of_frame_back() {
        let session = SessionId("s1".into());
        let summary: SessionSummary = serde_json::from_value(serde_json::json!({
            "id": "s1", "assistant_id": "a1", "assistant_name": "Demo", "title": "t",
            "assistant_color": "#3b4cca", "status": "running", "created_at": 1,
            "updated_at": 2, "last_seq": 3
        }))
        .unwrap_or_else(|e| panic!("a summary for the test: {e}"));
        let messages = [
            ServerMessage::Events {
                session_id: session.clone(),
                events: TranscriptEvent::numbered(
                    &session,
                    Seq(4),
                    9,
                    [
                        EventBody::AgentMessageChunk { text: "hi".into() },
                        EventBody::Summary {
                            text: "done".into(),
                        },
                    ],
                ),
            },
            ServerMessage::Tail {
                session_id: session.clone(),
                events: TranscriptEvent::numbered(
                    &session,
                    Seq(90),
                    9,
                    [EventBody::AgentMessageChunk { text: "end".into() }],
                ),
            },
            ServerMessage::CaughtUp {
                session_id: session.clone(),
                last_seq: Seq(6),
            },
            ServerMessage::Session { session: summary },
            ServerMessage::Pong { nonce: 7 },
            ServerMessage::PendingApprovals { count: 2 },
            ServerMessage::Error {
                code: ErrorCode::NotFound,
                message: "no such session".into(),
                session_id: Some(session.clone()),
            },
            ServerMessage::Error {
                code: ErrorCode::Unauthorized,
                message: "log in".into(),
                session_id: None,
            },
        ];
        for message in messages {
            let text = serde_json::to_string(&message).unwrap_or_default();
            assert_eq!(
                ServerMessage::decode(&text).ok(),
                Some(message.clone()),
                "{text}"
            );
            assert_eq!(
                serde_json::from_str::<ServerMessage>(&text).ok(),
                Some(message),
                "the derived decoding agrees: {text}"
            );
        }
        let tag_last = r#"{"nonce":5,"type":"pong"}"#;
        assert_eq!(
            ServerMessage::decode(tag_last).ok(),
            Some(ServerMessage::Pong { nonce: 5 })
        );
    }

    #[test]
    fn decode_refuses_what_is_not_a_frame() {
        for bad in [
            r#"{"type":"dance"}"#,
            r#"{"nonce":5}"#,
            r#"{"type":"pong"}"#,
            r#"{"type":"events","session_id":"s1","events":[{"seq":1}]}"#,
            "not json",
            "[]",
        ] {
            assert!(ServerMessage::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_messages_have_a_type_tag() {
        let msg: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","session_id":"s1","after":7}"#).unwrap();
        assert_eq!(
            msg,
            ClientMessage::Subscribe {
                session_id: SessionId("s1".into()),
                after: Seq(7),
                newest_first: false,
            }
        );
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"dance"}"#).is_err());
        let newest_first: ClientMessage = serde_json::from_str(
            r#"{"type":"subscribe","session_id":"s1","after":0,"newest_first":true}"#,
        )
        .unwrap();
        assert!(matches!(
            newest_first,
            ClientMessage::Subscribe {
                newest_first: true,
                ..
            }
        ));
        assert!(serde_json::from_str::<ClientMessage>(
            r#"{"type":"subscribe","session_id":"s1","after":0,"newest_first":"yes"}"#
        )
        .is_err());
    }
}
