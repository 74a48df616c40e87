//! Which push endpoints Tandem sends to. A browser's push service gives
//! an `https://` address on the public internet; anything else from a
//! subscription (an internal host, a loopback port, plain `http`) would let
//! an account make the server post to places only it can reach. Tests and
//! self-hosted push services on a private network are allowed with
//! `--push-allow-local`, and then only.

use reqwest::Url;
use std::net::IpAddr;

/// The longest endpoint taken (browsers' are under 500 characters).
pub const MAX_ENDPOINT: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("endpoint: not a URL")]
    NotAUrl,
    #[error("endpoint: at most {MAX_ENDPOINT} characters")]
    TooLong,
    #[error("endpoint: a push service's address starts with https://")]
    NotHttps,
    #[error("endpoint: {0} is not on the public internet (Tandem started with --push-allow-local takes it)")]
    NotPublic(String),
}

/// The endpoint, if Tandem may send to it.
pub fn check(endpoint: &str, allow_local: bool) -> Result<Url, EndpointError> {
    if endpoint.len() > MAX_ENDPOINT {
        return Err(EndpointError::TooLong);
    }
    let url = Url::parse(endpoint).map_err(|_| EndpointError::NotAUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::NotAUrl);
    }
    let scheme_taken = match url.scheme() {
        "https" => true,
        "http" => allow_local,
        _ => false,
    };
    if !scheme_taken {
        return Err(EndpointError::NotHttps);
    }
    let host = url.host_str().ok_or(EndpointError::NotAUrl)?.to_owned();
    if allow_local {
        return Ok(url);
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let local_name = bare == "localhost" || bare.ends_with(".localhost") || !bare.contains('.');
    match bare.parse::<IpAddr>() {
        Ok(ip) if !is_public(ip) => Err(EndpointError::NotPublic(host)),
        Err(_) if local_name => Err(EndpointError::NotPublic(host)),
        _ => Ok(url),
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// The push service's host, to tell devices apart in a list.
pub fn service_name(endpoint: &str) -> String {
    Url::parse(endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_services_are_taken_and_inner_addresses_are_not() {
        for good in [
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
            "https://web.push.apple.com/QGx",
            "https://8.8.8.8/push",
        ] {
            assert!(check(good, false).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("http://fcm.googleapis.com/fcm/send/x", "https://"),
            ("https://127.0.0.1:8080/api/users", "public internet"),
            ("https://localhost/x", "public internet"),
            ("https://db/x", "public internet"),
            ("https://10.0.0.5/x", "public internet"),
            ("https://192.168.1.1/x", "public internet"),
            (
                "https://169.254.169.254/latest/meta-data",
                "public internet",
            ),
            ("https://100.64.0.1/x", "public internet"),
            ("https://[::1]/x", "public internet"),
            ("https://[fd00::1]/x", "public internet"),
            ("https://[::ffff:127.0.0.1]/x", "public internet"),
            ("https://user:pw@push.example.com/x", "not a URL"),
            ("file:///etc/passwd", "https://"),
            ("not a url", "not a URL"),
        ] {
            let error = check(bad, false)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(why), "{bad}: {error}");
        }
        assert!(check(
            &format!("https://a.example/{}", "x".repeat(MAX_ENDPOINT)),
            false
        )
        .is_err());
        // Allowed locally: a test's push service on loopback.
        assert!(check("http://127.0.0.1:4000/push/1", true).is_ok());
        assert!(check("ftp://127.0.0.1/push", true).is_err());
    }
}
