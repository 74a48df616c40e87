//! A NUL written into a path or query (`%00`) is refused before any route
//! sees it: the databases differ on NUL (see `crate::text`), so no lookup
//! or search is made with one.

use super::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn check(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let holds_nul = |part: &str| part.to_ascii_lowercase().contains("%00");
    if holds_nul(uri.path()) || uri.query().is_some_and(holds_nul) {
        return ApiError::BadRequest(
            "the address contains a NUL character (%00), which Tandem does not accept".into(),
        )
        .into_response();
    }
    next.run(request).await
}
