//! Headers on every answer that keep the app to itself: a Content Security
//! Policy that lets only this origin's scripts, styles, images and
//! sockets in (the one inline script of the built `index.html` by its
//! hash), no framing by other sites, no referrer leaving the page (a share
//! link's token is in its URL), and no content sniffing.

use axum::http::{HeaderName, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The policy for a built app whose `index.html` is `index`: its inline
/// scripts allowed by their SHA-256, nothing else inline but styles.
pub fn policy(index: Option<&str>) -> String {
    let hashes: String = index
        .map(inline_scripts)
        .unwrap_or_default()
        .iter()
        .map(|script| format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(script))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy for the app in `static_dir`, read once at start.
pub fn policy_for(static_dir: Option<&Path>) -> String {
    let index = static_dir.and_then(|dir| std::fs::read_to_string(dir.join("index.html")).ok());
    policy(index.as_deref())
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            found.push(&body_and_more[..close]);
        }
        rest = &body_and_more[close..];
    }
    found
}

/// Adds the headers to every response.
pub async fn add(
    axum::extract::State(policy): axum::extract::State<HeaderValue>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            HeaderName::from_static("content-security-policy"),
            policy.clone(),
        ),
        (
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ),
        (
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ),
    ] {
        headers.insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_inline_script_is_allowed_by_its_hash() {
        let index = "<head><script type=\"module\">\nimport init from '/app.js';\n</script>\
                     <script src=\"/other.js\"></script></head>";
        let built = policy(Some(index));
        let digest = STANDARD.encode(Sha256::digest("\nimport init from '/app.js';\n"));
        assert!(built.contains(&format!("'sha256-{digest}'")), "{built}");
        assert_eq!(built.matches("'sha256-").count(), 1);
        assert!(built.contains("frame-ancestors 'none'"));
        assert!(!built.contains("'unsafe-eval'"));
        assert!(!policy(None).contains("sha256"));
    }
}
