//! Every request must name this server in its `Host` (see
//! `accounts::hosts`): one for another name is refused before anything
//! else, the app's pages included, so a rebinding page gets nothing.

use super::error::ApiError;
use crate::accounts::hosts::AllowedHosts;
use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn check(
    State(hosts): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    // HTTP/1.1 requires Host; HTTP/2 carries it in the URI's authority.
    let host = request
        .headers()
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        Some(host) if hosts.allows(&host) => next.run(request).await,
        Some(host) => ApiError::Forbidden(format!(
            "this Tandem does not answer to the host {host}; its admin can allow it with \
             `tandem serve --public-origin https://{host}` or `--allowed-host {host}`"
        ))
        .into_response(),
        None => ApiError::BadRequest("the request names no host".into()).into_response(),
    }
}
