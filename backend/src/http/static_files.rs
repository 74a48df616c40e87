//! The built frontend, with `index.html` for every path the app routes
//! itself (so a reload of `/sessions/…` works).

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(static_dir: Option<PathBuf>) -> Router {
    match static_dir.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => {
            let index = dir.join("index.html");
            Router::new().fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
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
