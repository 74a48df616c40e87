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

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    read(path, send(Request::get(path)).await?).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    read(path, send_json(Request::post(path), body).await?).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    read(path, send_json(Request::patch(path), body).await?).await
}

/// A POST whose answer has no body worth reading (202, 204).
pub async fn post_unit<B: Serialize>(path: &str, body: &B) -> Result<(), String> {
    done(path, send_json(Request::post(path), body).await?).await
}

/// A PUT whose answer has no body worth reading (204).
pub async fn put_unit<B: Serialize>(path: &str, body: &B) -> Result<(), String> {
    done(path, send_json(Request::put(path), body).await?).await
}

pub async fn delete(path: &str) -> Result<(), String> {
    done(path, send(Request::delete(path)).await?).await
}

async fn send(request: RequestBuilder) -> Result<Response, String> {
    request.send().await.map_err(|_| UNREACHABLE.to_owned())
}

async fn send_json<B: Serialize>(request: RequestBuilder, body: &B) -> Result<Response, String> {
    request
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| UNREACHABLE.to_owned())
}

async fn read<T: DeserializeOwned>(path: &str, response: Response) -> Result<T, String> {
    if response.ok() {
        return response.json::<T>().await.map_err(|e| e.to_string());
    }
    Err(failure(path, response).await)
}

async fn done(path: &str, response: Response) -> Result<(), String> {
    if response.ok() {
        return Ok(());
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
