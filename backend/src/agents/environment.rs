//! What an agent inherits of the server's environment: an allow-list of
//! what programs need to run (where things are, the locale, proxies and
//! certificates), plus the names an admin passes on purpose
//! (`--agent-env`). Never the rest: the server's own settings, and model
//! keys or tokens exported for other programs. An assistant's secrets and
//! its agent's own settings are added on top by the launch.

/// Names every agent inherits when the server has them.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
];

/// The part of `server` an agent gets: the allow-list, `LC_*`, and the
/// names in `passed`. Tandem's own settings never, even when passed.
pub fn inherited(
    server: impl IntoIterator<Item = (String, String)>,
    passed: &[String],
) -> Vec<(String, String)> {
    server
        .into_iter()
        .filter(|(name, _)| !name.starts_with("TANDEM_"))
        .filter(|(name, _)| {
            INHERITED.contains(&name.as_str())
                || name.starts_with("LC_")
                || passed.iter().any(|p| p == name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Vec<(String, String)> {
        [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/ana"),
            ("LC_ALL", "C.UTF-8"),
            ("ANTHROPIC_API_KEY", "sk-server"),
            ("GITHUB_TOKEN", "ghp"),
            ("TANDEM_DATABASE_URL", "postgres://secret"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn agents_get_what_programs_need_and_no_secret_of_the_server() {
        let names: Vec<String> = inherited(server(), &[])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, vec!["PATH", "HOME", "LC_ALL"]);
    }

    #[test]
    fn an_admin_passes_names_on_purpose_but_never_tandems_own() {
        let passed = vec![
            "ANTHROPIC_API_KEY".to_owned(),
            "TANDEM_DATABASE_URL".to_owned(),
        ];
        let names: Vec<String> = inherited(server(), &passed)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, vec!["PATH", "HOME", "LC_ALL", "ANTHROPIC_API_KEY"]);
    }
}
