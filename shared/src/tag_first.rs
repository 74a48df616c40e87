//! Decoding internally tagged values (`{"type": "…", …}`) by their tag
//! first: the text is read once for the tag alone (every other field
//! skipped), then again as that variant's fields. Serde's derived decoding
//! of such an enum copies each value into a generic tree first and decodes
//! every variant from that tree, so a web app that also decodes the same
//! types straight from text carries two decoders of each; this one reads
//! them from text only. The derived decoding stays for everyone else.

use crate::event::{EventBody, ToolCall, ToolCallPatch};
use crate::{Seq, SessionId, TranscriptEvent};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// `decode_tag_first!(text, "type", Enum { "tag" => Variant { field: Type, … }, "tag" => Variant(Type), … })`:
/// a struct variant's fields are read into a struct declared here with the
/// same fields (and their `#[serde(default)]`), a newtype variant's from
/// its inner type. A field's type may be any that converts `into` the
/// variant's own.
macro_rules! decode_tag_first {
    ($text:expr, $tag:literal, $enum:ident {
        $( $name:literal => $variant:ident
            $({ $( $(#[$attr:meta])* $field:ident : $ty:ty ),* $(,)? })?
            $(( $inner:ty ))?
        ),* $(,)?
    }) => {{
        let text: &str = $text;
        #[derive(serde::Deserialize)]
        struct Tag<'a> {
            #[serde(rename = $tag, borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        let tag: Tag = serde_json::from_str(text)?;
        let decoded: Result<$enum, serde_json::Error> = match tag.kind.as_ref() {
            $( $name => {
                $(
                    #[derive(serde::Deserialize)]
                    struct Fields { $( $(#[$attr])* $field: $ty ),* }
                    let fields: Fields = serde_json::from_str(text)?;
                    Ok($enum::$variant { $( $field: fields.$field.into() ),* })
                )?
                $( Ok($enum::$variant(serde_json::from_str::<$inner>(text)?)) )?
            } )*
            other => Err(<serde_json::Error as serde::de::Error>::unknown_variant(other, &[$( $name ),*])),
        };
        decoded
    }};
}
pub(crate) use decode_tag_first;

impl EventBody {
    /// Decodes a body as the server writes it, tag first (see the module).
    pub fn decode(text: &str) -> Result<EventBody, serde_json::Error> {
        use crate::agent_state::{
            AgentCommand, AgentMode, ChangedBy, ConfigOption, ConfigValue, Usage,
        };
        use crate::event::{DecisionOutcome, PermissionOption, PlanEntry, StartMode};
        use crate::{ApprovalId, SessionStatus};
        decode_tag_first!(text, "type", EventBody {
            "user_message" => UserMessage { #[serde(default)] author: Option<String>, text: String },
            "agent_message_chunk" => AgentMessageChunk { text: String },
            "agent_thought_chunk" => AgentThoughtChunk { text: String },
            "tool_call" => ToolCall(ToolCall),
            "tool_call_update" => ToolCallUpdate(ToolCallPatch),
            "plan" => Plan { entries: Vec<PlanEntry> },
            "permission_request" => PermissionRequest {
                approval_id: ApprovalId,
                tool_call: ToolCallPatch,
                options: Vec<PermissionOption>,
                #[serde(default)] always_keeps: Vec<String>,
            },
            "permission_decision" => PermissionDecision {
                approval_id: ApprovalId,
                outcome: DecisionOutcome,
                #[serde(default)] by: Option<String>,
            },
            "status_change" => StatusChange { status: SessionStatus, #[serde(default)] reason: Option<String> },
            "continuity" => Continuity {
                mode: StartMode,
                #[serde(default)] reason: Option<String>,
                #[serde(default)] context: Option<String>,
            },
            "title_change" => TitleChange { title: String },
            "summary" => Summary { text: String },
            "error" => Error { message: String },
            "agent_modes" => AgentModes { current: String, available: Vec<AgentMode> },
            "mode_change" => ModeChange { mode: String, by: ChangedBy },
            "agent_options" => AgentOptions { options: Vec<ConfigOption> },
            "option_change" => OptionChange { id: String, value: ConfigValue, by: ChangedBy },
            "usage" => Usage { usage: Usage },
            "spend" => Spend { spend: crate::spend::Spend },
            "agent_commands" => AgentCommands { commands: Vec<AgentCommand> },
            "notice" => Notice { text: String },
        })
    }
}

/// A list of transcript events as the server writes them, each body
/// decoded tag first.
pub struct Events(pub Vec<TranscriptEvent>);

impl From<Events> for Vec<TranscriptEvent> {
    fn from(events: Events) -> Self {
        events.0
    }
}

impl<'de> Deserialize<'de> for Events {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Event {
            session_id: SessionId,
            seq: Seq,
            at: i64,
            body: Box<RawValue>,
        }
        Vec::<Event>::deserialize(deserializer)?
            .into_iter()
            .map(|event| {
                Ok(TranscriptEvent {
                    body: EventBody::decode(event.body.get()).map_err(D::Error::custom)?,
                    session_id: event.session_id,
                    seq: event.seq,
                    at: event.at,
                })
            })
            .collect::<Result<_, _>>()
            .map(Events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One body of every kind, with optional fields both present and
    /// absent, as JSON the server could write.
    const BODIES: [&str; 25] = [
        r#"{"type":"user_message","author":"ana","text":"hi"}"#,
        r#"{"type":"user_message","text":"from a wake"}"#,
        r#"{"type":"agent_message_chunk","text":"a"}"#,
        r#"{"type":"agent_thought_chunk","text":"b"}"#,
        r#"{"type":"tool_call","id":"t1","title":"Edit a.rs","kind":"edit","status":"in_progress","content":[{"type":"diff","path":"a.rs","old_text":"x","new_text":"y"},{"type":"text","text":"done"}],"locations":[{"path":"a.rs","line":3}],"raw_input":{"cmd":["ls"]}}"#,
        r#"{"type":"tool_call_update","id":"t1","status":"completed","content":[{"type":"terminal","terminal_id":"term"}],"raw_output":"ok"}"#,
        r#"{"type":"plan","entries":[{"content":"read","priority":"high","status":"in_progress"}]}"#,
        r#"{"type":"permission_request","approval_id":"ap1","tool_call":{"id":"t1","title":"rm"},"options":[{"option_id":"allow","name":"Allow once","kind":"allow_once"}],"always_keeps":["rm"]}"#,
        r#"{"type":"permission_request","approval_id":"ap2","tool_call":{"id":"t2"},"options":[]}"#,
        r#"{"type":"permission_decision","approval_id":"ap1","outcome":{"outcome":"selected","option_id":"allow","kind":"allow_once"},"by":"ana"}"#,
        r#"{"type":"permission_decision","approval_id":"ap2","outcome":{"outcome":"cancelled","reason":"stopped"}}"#,
        r#"{"type":"status_change","status":"failed","reason":"the agent exited"}"#,
        r#"{"type":"continuity","mode":"cold","reason":"first run","context":"you are Demo"}"#,
        r#"{"type":"title_change","title":"Fix the build"}"#,
        r#"{"type":"summary","text":"Ran 1 command."}"#,
        r#"{"type":"error","message":"boom"}"#,
        r#"{"type":"agent_modes","current":"ask","available":[{"id":"ask","name":"Ask","description":"asks first"},{"id":"auto","name":"Auto"}]}"#,
        r#"{"type":"mode_change","mode":"auto","by":{"person":"ana"}}"#,
        r#"{"type":"agent_options","options":[{"id":"model","name":"Model","value":"fast","choices":[{"value":"fast","name":"Fast"}],"from_models":true},{"id":"think","name":"Think","value":true}]}"#,
        r#"{"type":"option_change","id":"model","value":"slow","by":"agent"}"#,
        r#"{"type":"usage","usage":{"used":1200,"size":200000,"cost":{"amount":0.42,"currency":"USD"}}}"#,
        r#"{"type":"spend","spend":{"tokens":{"input":1200,"output":80},"agent":"claude","by":"ada"}}"#,
        r#"{"type":"spend","spend":{"cost_micros":42000,"currency":"USD","agent":"claude","model":"opus"}}"#,
        r#"{"type":"agent_commands","commands":[{"name":"review","description":"Review the change","hint":"a path"}]}"#,
        r#"{"type":"notice","text":"compacting"}"#,
    ];

    #[test]
    fn every_kind_of_body_decodes_as_the_derived_decoding_does() {
        let mut kinds = std::collections::BTreeSet::new();
        for text in BODIES {
            let derived: EventBody = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("the derived decoding reads {text}: {e}"));
            let tag_first =
                EventBody::decode(text).unwrap_or_else(|e| panic!("tag first reads {text}: {e}"));
            assert_eq!(tag_first, derived, "{text}");
            // And back: what it decoded is what the server would write.
            let again = serde_json::to_string(&tag_first).unwrap_or_default();
            assert_eq!(EventBody::decode(&again).ok(), Some(derived), "{again}");
            kinds.insert(tag_first.kind());
        }
        assert_eq!(kinds.len(), 21, "every kind is covered: {kinds:?}");
    }

    #[test]
    fn the_tag_may_stand_anywhere_and_bad_bodies_are_refused() {
        assert_eq!(
            EventBody::decode(r#"{"text":"late tag","type":"summary"}"#).ok(),
            Some(EventBody::Summary {
                text: "late tag".into()
            })
        );
        for bad in [
            r#"{"type":"dance"}"#,
            r#"{"text":"no tag"}"#,
            r#"{"type":"summary"}"#,
            r#"{"type":"status_change","status":"sleeping"}"#,
            r#"{"type":7}"#,
            "[]",
            "",
        ] {
            assert!(EventBody::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_list_of_events_decodes_each_body_and_names_a_bad_one() {
        let text = r#"[{"session_id":"s","seq":1,"at":5,"body":{"type":"summary","text":"x"}},
                       {"session_id":"s","seq":2,"at":6,"body":{"at":1,"type":"error","message":"y"}}]"#;
        let Events(events) = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let derived: Vec<TranscriptEvent> = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(events, derived);
        assert_eq!(events.len(), 2);
        let bad = r#"[{"session_id":"s","seq":1,"at":5,"body":{"type":"nope"}}]"#;
        let error = serde_json::from_str::<Events>(bad)
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("nope")),
            "{error:?}"
        );
    }
}
