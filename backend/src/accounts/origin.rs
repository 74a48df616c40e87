//! Cross-site request protection for cookie-authenticated requests: a
//! state-changing request (or a WebSocket upgrade) must come from a page of
//! this same origin. Browsers send `Origin` on every such request, and a
//! page elsewhere cannot forge it. Bearer tokens are not ambient
//! credentials, so they are not checked.

/// Whether a request with this method, `Origin` and `Host` may use cookie
/// credentials. `websocket` marks an upgrade, which is a GET but opens a
/// channel that can act, so it is checked too.
pub fn allowed(method: &str, websocket: bool, origin: Option<&str>, host: Option<&str>) -> bool {
    let reads = matches!(method, "GET" | "HEAD" | "OPTIONS");
    if reads && !websocket {
        return true;
    }
    let (Some(origin), Some(host)) = (origin, host) else {
        return false;
    };
    let Some(origin_host) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn reads_pass_and_writes_need_the_same_origin() {
        let host = Some("127.0.0.1:8080");
        assert!(allowed("GET", false, None, host));
        assert!(allowed("POST", false, Some("http://127.0.0.1:8080"), host));
        assert!(allowed("POST", false, Some("https://127.0.0.1:8080"), host));
        assert!(!allowed("POST", false, Some("http://evil.example"), host));
        assert!(!allowed("POST", false, Some("null"), host));
        assert!(!allowed("DELETE", false, None, host));
        assert!(!allowed(
            "PATCH",
            false,
            Some("http://127.0.0.1:8081"),
            host
        ));
        assert!(!allowed("POST", false, Some("http://127.0.0.1:8080"), None));
    }

    #[test]
    fn websocket_upgrades_are_checked_like_writes() {
        let host = Some("localhost:8080");
        assert!(allowed("GET", true, Some("http://localhost:8080"), host));
        assert!(!allowed("GET", true, Some("http://evil.example"), host));
        assert!(!allowed("GET", true, None, host));
    }
}
