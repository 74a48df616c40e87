//! JSON-RPC 2.0, one object per line, as ACP frames it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// A request the sender withdrew (`$/cancel_request`).
    pub const REQUEST_CANCELLED: i64 = -32800;
    pub const AUTH_REQUIRED: i64 = -32000;
    pub const RESOURCE_NOT_FOUND: i64 = -32002;

    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Data is shown as sent: an agent explains itself there (Codex's
        // 1001 for an obsolete setting carries `restartable`).
        match &self.data {
            Some(data) if !data.is_null() => {
                write!(f, "{} (code {}, data {data})", self.message, self.code)
            }
            _ => write!(f, "{} (code {})", self.message, self.code),
        }
    }
}

/// One message read from the other side.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request we must answer. Ids may be numbers or strings (Codex uses
    /// UUID strings), so they are kept as JSON.
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    Notification {
        method: String,
        params: Value,
    },
    Response {
        id: Value,
        outcome: Result<Value, RpcError>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON-RPC message: {0}")]
    NotJsonRpc(&'static str),
}

/// Classifies one line. A `result` of `null` is a valid answer (ACP's
/// `session/load` may return it), so presence is read off the keys.
pub fn parse(line: &str) -> Result<Incoming, FrameError> {
    let mut value: Value =
        serde_json::from_str(line).map_err(|err| FrameError::NotJson(err.to_string()))?;
    // One rule for both databases: an agent's NUL never reaches the store.
    crate::text::scrub(&mut value);
    let Value::Object(mut map) = value else {
        return Err(FrameError::NotJsonRpc("expected a JSON object"));
    };
    let id = map.remove("id");
    let method = match map.remove("method") {
        Some(Value::String(method)) => Some(method),
        Some(_) => return Err(FrameError::NotJsonRpc("`method` must be a string")),
        None => None,
    };
    let params = map.remove("params").unwrap_or(Value::Null);
    match (method, id) {
        (Some(method), Some(id)) if id.is_string() || id.is_number() => {
            Ok(Incoming::Request { id, method, params })
        }
        (Some(_), Some(_)) => Err(FrameError::NotJsonRpc("`id` must be a number or a string")),
        (Some(method), None) => Ok(Incoming::Notification { method, params }),
        (None, Some(id)) => {
            let outcome = response_outcome(&mut map)?;
            Ok(Incoming::Response { id, outcome })
        }
        (None, None) => Err(FrameError::NotJsonRpc("neither `method` nor `id`")),
    }
}

fn response_outcome(map: &mut Map<String, Value>) -> Result<Result<Value, RpcError>, FrameError> {
    if let Some(error) = map.remove("error") {
        let error: RpcError = serde_json::from_value(error)
            .map_err(|_| FrameError::NotJsonRpc("malformed `error` object"))?;
        return Ok(Err(error));
    }
    match map.remove("result") {
        Some(result) => Ok(Ok(result)),
        None => Err(FrameError::NotJsonRpc(
            "a response needs `result` or `error`",
        )),
    }
}

#[derive(Serialize)]
struct OutRequest<'a, P> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: P,
}

#[derive(Serialize)]
struct OutNotification<'a, P> {
    jsonrpc: &'static str,
    method: &'a str,
    params: P,
}

#[derive(Serialize)]
struct OutResult<'a, R> {
    jsonrpc: &'static str,
    id: &'a Value,
    result: R,
}

#[derive(Serialize)]
struct OutError<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    error: &'a RpcError,
}

pub fn request<P: Serialize>(
    id: u64,
    method: &str,
    params: P,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutRequest {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
}

pub fn notification<P: Serialize>(method: &str, params: P) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutNotification {
        jsonrpc: "2.0",
        method,
        params,
    })
}

pub fn result<R: Serialize>(id: &Value, result: R) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutResult {
        jsonrpc: "2.0",
        id,
        result,
    })
}

pub fn error(id: &Value, error: &RpcError) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutError {
        jsonrpc: "2.0",
        id,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_the_four_shapes() {
        assert_eq!(
            parse(
                r#"{"jsonrpc":"2.0","id":"u-1","method":"session/request_permission","params":{"a":1}}"#
            ),
            Ok(Incoming::Request {
                id: json!("u-1"),
                method: "session/request_permission".into(),
                params: json!({"a":1})
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","method":"session/update","params":{}}"#),
            Ok(Incoming::Notification {
                method: "session/update".into(),
                params: json!({})
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":3,"result":null}"#),
            Ok(Incoming::Response {
                id: json!(3),
                outcome: Ok(Value::Null)
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"auth"}}"#),
            Ok(Incoming::Response {
                id: json!(3),
                outcome: Err(RpcError::new(-32000, "auth"))
            })
        );
    }

    #[test]
    fn refuses_what_is_not_json_rpc() {
        assert!(matches!(parse("hello world"), Err(FrameError::NotJson(_))));
        assert!(matches!(parse("[1,2]"), Err(FrameError::NotJsonRpc(_))));
        assert!(matches!(
            parse(r#"{"id":1}"#),
            Err(FrameError::NotJsonRpc(_))
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0"}"#),
            Err(FrameError::NotJsonRpc(_))
        ));
        assert!(matches!(
            parse(r#"{"id":{"x":1},"method":"m"}"#),
            Err(FrameError::NotJsonRpc(_))
        ));
        assert!(matches!(
            parse(r#"{"id":1,"error":"bad"}"#),
            Err(FrameError::NotJsonRpc(_))
        ));
    }

    #[test]
    fn writes_one_line_objects() {
        let line = request(7, "initialize", json!({"protocolVersion":1})).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(
            parse(&line),
            Ok(Incoming::Request {
                id: json!(7),
                method: "initialize".into(),
                params: json!({"protocolVersion":1})
            })
        );
        let line = error(&json!("x"), &RpcError::new(-32601, "nope")).unwrap();
        assert_eq!(
            parse(&line),
            Ok(Incoming::Response {
                id: json!("x"),
                outcome: Err(RpcError::new(-32601, "nope"))
            })
        );
    }
}
