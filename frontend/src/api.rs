//! The REST API, with the shared types: no JSON is built by hand.
//!
//! Requests carry the login cookie (same origin). A 401 outside the login
//! routes means the login ended: the page reloads into the login screen.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tandem_shared::api::ErrorBody;

/// The error when no answer came at all: offline, or the server is down.
pub const UNREACHABLE: &str = "Tandem cannot be reached";

// Only `encode` and `decode` are generic: the sending and reading are one
// function for every type, not one copy per answer type.

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    decode(&answer(path, Request::get(path), None).await?)
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    decode(&answer(path, Request::post(path), Some(encode(body)?)).await?)
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    decode(&answer(path, Request::patch(path), Some(encode(body)?)).await?)
}

/// A POST whose answer has no body worth reading (202, 204).
pub async fn post_unit<B: Serialize>(path: &str, body: &B) -> Result<(), String> {
    answer(path, Request::post(path), Some(encode(body)?))
        .await
        .map(drop)
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    decode(&answer(path, Request::put(path), Some(encode(body)?)).await?)
}

/// A PUT whose answer has no body worth reading (204).
pub async fn put_unit<B: Serialize>(path: &str, body: &B) -> Result<(), String> {
    answer(path, Request::put(path), Some(encode(body)?))
        .await
        .map(drop)
}

pub async fn delete(path: &str) -> Result<(), String> {
    answer(path, Request::delete(path), None).await.map(drop)
}

fn encode<B: Serialize>(body: &B) -> Result<String, String> {
    serde_json::to_string(body).map_err(|e| e.to_string())
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Sends the request (with a JSON body, if any) and answers the text of a
/// successful answer, or what went wrong.
async fn answer(
    path: &str,
    request: RequestBuilder,
    json: Option<String>,
) -> Result<String, String> {
    let sent = match json {
        Some(json) => {
            request
                .header("content-type", "application/json")
                .body(json)
                .map_err(|e| e.to_string())?
                .send()
                .await
        }
        None => request.send().await,
    };
    let response = sent.map_err(|_| UNREACHABLE.to_owned())?;
    if response.ok() {
        return response.text().await.map_err(|e| e.to_string());
    }
    Err(failure(path, response).await)
}

async fn failure(path: &str, response: Response) -> String {
    if response.status() == 401 && !path.starts_with("/api/auth/") {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("the server answered {}", response.status()),
    }
}
