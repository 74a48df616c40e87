//! The built frontend, with `index.html` for every path the app routes
//! itself (so a reload of `/sessions/…` works), and the service worker
//! stamped with this build's version. Assets go out precompressed (the
//! build's `.br` and `.gz` copies, by `Accept-Encoding`); those named by
//! their content's hash are cached for a year, everything else is
//! revalidated on every load.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// The placeholder `frontend/sw.js` carries for the build's version.
const VERSION_MARK: &str = "__TANDEM_SHELL_VERSION__";

pub fn service(static_dir: Option<PathBuf>) -> Router {
    match static_dir.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => {
            let index = dir.join("index.html");
            let mut router = Router::new();
            if let Some(worker) = stamped_worker(&dir) {
                router = router.route(
                    "/sw.js",
                    get(move || async move {
                        (
                            [
                                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                                // The browser must see a new deploy's worker.
                                (header::CACHE_CONTROL, "no-cache"),
                            ],
                            worker,
                        )
                            .into_response()
                    }),
                );
            }
            let files = ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(
                    ServeFile::new(index)
                        .precompressed_br()
                        .precompressed_gzip(),
                );
            router
                .fallback_service(files)
                .layer(axum::middleware::from_fn(caching))
        }
        None => Router::new().fallback(get(|| async {
            Html(
                "<!doctype html><title>Tandem</title><h1>Tandem</h1>\
                 <p>The web app is not built. Run <code>cargo xtask run</code>, \
                 or point <code>--static-dir</code> at <code>frontend/dist</code>.</p>",
            )
        })),
    }
}

const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// How long a browser may keep what it got: a hashed name never changes
/// its content, anything else may change with the next deploy.
async fn caching(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if hashed && is_the_shell(&response) {
        // An asset of an older deploy: the shell in its place would be
        // cached for a year under a script's name.
        return (axum::http::StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    let status = response.status();
    if status.is_success() || status == axum::http::StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            if hashed { FOREVER } else { REVALIDATE },
        );
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn is_the_shell(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// `name-0123456789abcdef.js` and `name-0123456789abcdef_bg.wasm`: the
/// build names each asset by a hash of its content.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let Some((stem, _extension)) = file.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    // The build writes a 64-bit hash in hex without leading zeros: 16
    // digits, or (one time in sixteen) fewer.
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty()
            && (10..=16).contains(&hash.len())
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// `sw.js` with the version of this build: `index.html` names every hashed
/// asset, so its digest changes exactly when the shell does.
fn stamped_worker(dir: &Path) -> Option<String> {
    let worker = std::fs::read_to_string(dir.join("sw.js")).ok()?;
    let index = std::fs::read(dir.join("index.html")).ok()?;
    Some(worker.replace(VERSION_MARK, &shell_version(&index)))
}

fn shell_version(index: &[u8]) -> String {
    Sha256::digest(index)
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_carrying_a_content_hash_are_kept_for_a_year() {
        assert!(is_hashed("/tandem-frontend-9273b5846b35122a.js"));
        assert!(is_hashed("/tandem-frontend-9273b5846b35122a_bg.wasm"));
        assert!(is_hashed("/main-fb68b89b13e4d6e9.css"));
        // A hash whose first digit was a zero.
        assert!(is_hashed("/tandem-frontend-188f69d32cf36b9_bg.wasm"));
        for path in [
            "/",
            "/index.html",
            "/sw.js",
            "/manifest.webmanifest",
            "/icons/icon-192.png",
            "/sessions/ses-0123456789abcdef",
            "/-9273b5846b35122a.js",
            "/app-9273b5846b35122z.js",
            "/app-9273b58.js",
        ] {
            assert!(!is_hashed(path), "{path}");
        }
    }

    #[test]
    fn the_version_follows_the_shell() {
        let one = shell_version(b"<script src=/app-1.js>");
        assert_eq!(one.len(), 16);
        assert_eq!(one, shell_version(b"<script src=/app-1.js>"));
        assert_ne!(one, shell_version(b"<script src=/app-2.js>"));
    }
}
