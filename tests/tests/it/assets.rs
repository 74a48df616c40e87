//! The web app over the wire: each asset in the encoding the browser
//! accepts (the build's brotli and gzip copies, or as is), hashed names
//! cached for a year and everything else revalidated; API answers
//! compressed above a size.

use crate::support::{client_with_token, static_dir, TestServer};
use std::io::Read;

const FOREVER: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

struct Answer {
    status: u16,
    encoding: Option<String>,
    cache: Option<String>,
    vary: String,
    body: Vec<u8>,
}

async fn fetch(client: &reqwest::Client, url: &str, accept: &str) -> Answer {
    let response = client
        .get(url)
        .header("accept-encoding", accept)
        .send()
        .await
        .expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let encoding = Some(header("content-encoding")).filter(|v| !v.is_empty());
    let cache = Some(header("cache-control")).filter(|v| !v.is_empty());
    let vary = header("vary").to_ascii_lowercase();
    Answer {
        status: response.status().as_u16(),
        encoding,
        cache,
        vary,
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn brotli_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

fn gzip_decoded(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

#[tokio::test]
async fn assets_go_out_in_the_accepted_encoding_and_are_cached_by_their_names() {
    let dist = static_dir().expect(
        "the asset tests need the built web app: run `cargo xtask test` (it builds and \
         precompresses it)",
    );
    // The build's own script and WASM (named by their content's hash).
    let named = |suffix: &str| {
        std::fs::read_dir(&dist)
            .expect("dist")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|name| name.starts_with("tandem-frontend-") && name.ends_with(suffix))
            .unwrap_or_else(|| panic!("no tandem-frontend-*{suffix} in {}", dist.display()))
    };
    let wasm = named("_bg.wasm");
    let script = named(".js");
    let index = std::fs::read(dist.join("index.html")).expect("index.html");
    let server = TestServer::start().await;
    let client = reqwest::Client::new();

    let cases = [
        ("/".to_owned(), index.clone(), REVALIDATE),
        // A path the app routes itself is the shell, revalidated too.
        (
            "/sessions/ses_anything".to_owned(),
            index.clone(),
            REVALIDATE,
        ),
        (
            format!("/{wasm}"),
            std::fs::read(dist.join(&wasm)).expect("wasm"),
            FOREVER,
        ),
        (
            format!("/{script}"),
            std::fs::read(dist.join(&script)).expect("js"),
            FOREVER,
        ),
    ];
    for (path, file, cache) in cases {
        let url = format!("{}{path}", server.url);
        let plain = fetch(&client, &url, "identity").await;
        assert_eq!(plain.status, 200, "{path}");
        assert_eq!(plain.encoding, None, "{path}");
        assert!(
            plain.body == file,
            "{path} as is: {} bytes, the file {}",
            plain.body.len(),
            file.len()
        );
        assert_eq!(plain.cache.as_deref(), Some(cache), "{path}");
        assert!(
            plain.vary.contains("accept-encoding"),
            "{path}: {}",
            plain.vary
        );

        let br = fetch(&client, &url, "gzip, deflate, br").await;
        assert_eq!(br.encoding.as_deref(), Some("br"), "{path}");
        assert!(brotli_decoded(&br.body) == file, "{path} in brotli");
        assert!(br.body.len() < file.len(), "{path}: brotli is smaller");
        assert_eq!(br.cache.as_deref(), Some(cache), "{path}");

        let gz = fetch(&client, &url, "gzip").await;
        assert_eq!(gz.encoding.as_deref(), Some("gzip"), "{path}");
        assert!(gzip_decoded(&gz.body) == file, "{path} in gzip");
        assert_eq!(gz.cache.as_deref(), Some(cache), "{path}");

        // An encoding nobody offers falls back to the file as is.
        let other = fetch(&client, &url, "zstd").await;
        assert_eq!(other.encoding, None, "{path}");
        assert!(other.body == file, "{path} as is for an unknown coding");
    }
    // The worker must see every deploy: never cached as is.
    let worker = fetch(&client, &format!("{}/sw.js", server.url), "br").await;
    assert_eq!(worker.status, 200);
    assert_eq!(worker.cache.as_deref(), Some(REVALIDATE));
    // A hashed name that is not there (an asset of an older deploy) is a
    // 404, never the shell kept for a year under a script's name.
    let missing = fetch(
        &client,
        &format!("{}/app-0123456789abcdef.js", server.url),
        "br",
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_ne!(missing.cache.as_deref(), Some(FOREVER));
}

#[tokio::test]
async fn api_answers_are_compressed_above_a_size_and_small_ones_never() {
    let server = TestServer::start().await;
    let client = client_with_token(&server.token);
    let document = format!("{}/api/openapi.json", server.url);
    let plain = fetch(&client, &document, "identity").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.encoding, None);
    let parsed: serde_json::Value = serde_json::from_slice(&plain.body).expect("json");

    let br = fetch(&client, &document, "br").await;
    assert_eq!(br.encoding.as_deref(), Some("br"));
    let decoded: serde_json::Value =
        serde_json::from_slice(&brotli_decoded(&br.body)).expect("brotli json");
    assert_eq!(decoded, parsed);
    assert!(
        br.body.len() * 4 < plain.body.len(),
        "{} bytes in brotli for {}",
        br.body.len(),
        plain.body.len()
    );
    let gz = fetch(&client, &document, "gzip").await;
    assert_eq!(gz.encoding.as_deref(), Some("gzip"));
    let decoded: serde_json::Value =
        serde_json::from_slice(&gzip_decoded(&gz.body)).expect("gzip json");
    assert_eq!(decoded, parsed);

    // Under the threshold: as is, whatever is accepted.
    let small = fetch(&client, &format!("{}/api/health", server.url), "br, gzip").await;
    assert_eq!(small.status, 200);
    assert!(small.body.len() < 1024, "{}", small.body.len());
    assert_eq!(small.encoding, None);
    // An error answer stays readable JSON too.
    let refused = fetch(
        &client,
        &format!("{}/api/sessions/ses_none", server.url),
        "br",
    )
    .await;
    assert_eq!(refused.status, 404);
    let error: serde_json::Value = serde_json::from_slice(&refused.body).expect("json error");
    assert_eq!(error["error"]["code"], "not_found", "{error}");
}
