//! Which `Host` names this server answers to. A page on another site can
//! point its own name at this machine (DNS rebinding) and then talk to
//! Tandem as a same-origin page: its `Host` and `Origin` agree, so the
//! same-origin rule alone lets it in. Answering only to names the operator
//! chose closes that: IP addresses (a rebinding page always uses its own
//! name), `localhost`, the `--public-origin`'s host and each
//! `--allowed-host`.

use std::net::IpAddr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HostsError {
    #[error("--public-origin: {0} is not an origin like https://tandem.example.com")]
    BadOrigin(String),
    #[error("--allowed-host: {0} is not a host name")]
    BadHost(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<String>,
}

impl AllowedHosts {
    pub fn new(public_origin: Option<&str>, extra: &[String]) -> Result<AllowedHosts, HostsError> {
        let mut names = Vec::new();
        if let Some(origin) = public_origin {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .filter(|rest| !rest.is_empty() && !rest.trim_end_matches('/').contains('/'))
                .ok_or_else(|| HostsError::BadOrigin(origin.to_owned()))?;
            let host = name_of(rest.trim_end_matches('/'));
            if !is_host_name(&host) && host.parse::<IpAddr>().is_err() {
                return Err(HostsError::BadOrigin(origin.to_owned()));
            }
            names.push(host);
        }
        for host in extra {
            let name = name_of(host.trim());
            if !is_host_name(&name) {
                return Err(HostsError::BadHost(host.clone()));
            }
            names.push(name);
        }
        Ok(AllowedHosts { names })
    }

    /// Whether a request with this `Host` header is for this server.
    pub fn allows(&self, host: &str) -> bool {
        let name = name_of(host);
        if name.is_empty() {
            return false;
        }
        is_ip(&name) || is_localhost(&name) || self.names.contains(&name)
    }
}

/// Whether `Host` names this machine's loopback: `localhost` or a loopback
/// address.
pub fn is_loopback_host(host: &str) -> bool {
    let name = name_of(host);
    is_localhost(&name)
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The name without its port, lower case; IPv6 literals keep brackets.
fn name_of(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => host[..=end].to_owned(),
            None => String::new(),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        Some(_) => String::new(),
        None => host,
    }
    .trim_end_matches('.')
    .to_owned()
}

fn is_ip(name: &str) -> bool {
    name.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
}

fn is_localhost(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_localhost_pass_other_names_need_listing() {
        let none = AllowedHosts::new(None, &[]).unwrap();
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "app.localhost:3000",
            "[::1]:8080",
            "192.168.1.20:8080",
            "[fe80::1]",
        ] {
            assert!(none.allows(host), "{host}");
        }
        for host in [
            "rebind.example:8080",
            "tandem.example.com",
            "",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "[::1",
            "example.com:http",
        ] {
            assert!(!none.allows(host), "{host}");
        }
        let listed = AllowedHosts::new(
            Some("https://Tandem.Example.com/"),
            &["build-box".into(), "ci.internal:8080".into()],
        )
        .unwrap();
        assert!(listed.allows("tandem.example.com"));
        assert!(listed.allows("tandem.example.com:443"));
        assert!(listed.allows("build-box:8080"));
        assert!(listed.allows("ci.internal"));
        assert!(!listed.allows("evil.tandem.example.com"));
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            AllowedHosts::new(Some("tandem.example.com"), &[]),
            Err(HostsError::BadOrigin("tandem.example.com".into()))
        );
        assert!(AllowedHosts::new(Some("https://x.example/app"), &[]).is_err());
        assert_eq!(
            AllowedHosts::new(None, &["a b".into()]),
            Err(HostsError::BadHost("a b".into()))
        );
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("localhost:8080"));
        assert!(is_loopback_host("127.0.0.1:1"));
        assert!(is_loopback_host("[::1]:8080"));
        assert!(!is_loopback_host("192.168.1.2"));
        assert!(!is_loopback_host("rebind.example"));
    }
}
