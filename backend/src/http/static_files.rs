//! The built frontend, with `index.html` for every path the app routes
//! itself (so a reload of `/sessions/…` works), and the service worker
//! stamped with this build's version.

use axum::http::header;
use axum::response::{Html, IntoResponse};
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
            router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
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
    fn the_version_follows_the_shell() {
        let one = shell_version(b"<script src=/app-1.js>");
        assert_eq!(one.len(), 16);
        assert_eq!(one, shell_version(b"<script src=/app-1.js>"));
        assert_ne!(one, shell_version(b"<script src=/app-2.js>"));
    }
}
