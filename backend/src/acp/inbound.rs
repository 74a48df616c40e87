//! The parameters of what an agent sends, decoded into Tandem's types.
//! Plain code apart from the actor, so tests and the fuzzer drive the very
//! path every agent line takes.

use super::fold;
use super::jsonrpc::{self, Incoming};
use super::schema as acp;
use serde_json::Value;
use tandem_shared::{EventBody, PermissionOption, ToolCallPatch};

/// A `session/update` notification's transcript events.
pub fn update_events(params: Value) -> Result<Vec<EventBody>, serde_json::Error> {
    let notification: acp::SessionNotification = serde_json::from_value(params)?;
    Ok(fold::fold_update(&notification.update))
}

/// What a `session/request_permission` request asks.
#[derive(Debug, Clone)]
pub struct PermissionAsk {
    pub tool_call: ToolCallPatch,
    pub options: Vec<PermissionOption>,
}

pub fn permission_request(params: Value) -> Result<PermissionAsk, serde_json::Error> {
    let request: acp::RequestPermissionRequest = serde_json::from_value(params)?;
    Ok(PermissionAsk {
        tool_call: fold::tool_call_patch(&request.tool_call),
        options: request
            .options
            .iter()
            .map(fold::permission_option)
            .collect(),
    })
}

/// One agent line as far as it can be understood without a session.
#[derive(Debug)]
pub enum Decoded {
    Update(Vec<EventBody>),
    Permission(PermissionAsk),
    Other(Incoming),
}

/// The frame, then the parameters Tandem reads; any error is the agent's.
pub fn decode_line(line: &str) -> Result<Decoded, String> {
    match jsonrpc::parse(line).map_err(|error| error.to_string())? {
        Incoming::Notification { method, params } if method == "session/update" => {
            update_events(params)
                .map(Decoded::Update)
                .map_err(|error| error.to_string())
        }
        Incoming::Request { method, params, .. } if method == "session/request_permission" => {
            permission_request(params)
                .map(Decoded::Permission)
                .map_err(|error| error.to_string())
        }
        other => Ok(Decoded::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_message_chunk_becomes_its_text() {
        let line = r#"{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"hi"}}}}"#;
        match decode_line(line) {
            Ok(Decoded::Update(events)) => assert_eq!(
                events,
                vec![EventBody::AgentMessageChunk { text: "hi".into() }]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_parameters_are_errors_not_panics() {
        for line in [
            r#"{"jsonrpc":"2.0","method":"session/update","params":{"update":7}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"session/request_permission","params":[]}"#,
            "not json",
            "[]",
        ] {
            assert!(decode_line(line).is_err(), "{line}");
        }
    }
}
