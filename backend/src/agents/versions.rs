//! Which version of an npm-distributed agent is installed, and whether this
//! machine's Node.js can run it. Parsing is plain code; finding files and
//! asking `node` are the edges.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The major version in `node --version`'s answer (`v22.3.0` → 22).
pub fn node_major(version: &str) -> Option<u32> {
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Why an agent that needs Node `required` cannot start with the Node found
/// (`found` is `node --version`'s answer, `None` when there is no node).
pub fn node_problem(title: &str, required: u32, found: Option<&str>) -> Option<String> {
    match found.map(|found| (found.trim(), node_major(found))) {
        None => Some(format!(
            "{title} needs Node.js {required} or newer, and this machine has no `node`: \
             install Node.js {required}+."
        )),
        Some((_, Some(major))) if major >= required => None,
        Some((found, _)) => Some(format!(
            "{title} needs Node.js {required} or newer; this machine has {found}. \
             Install Node.js {required}+ (or put it first on PATH) and try again."
        )),
    }
}

/// `node --version`, if there is a node.
pub fn node_version() -> Option<String> {
    let output = Command::new("node").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The version of `package` that provides the binary at `binary`: npm
/// links a package's binaries to a file inside the package, so the
/// nearest `package.json` above the link's target names it.
pub fn installed_version(binary: &Path, package: &str) -> Option<String> {
    let target = std::fs::canonicalize(binary).ok()?;
    let mut dir: Option<PathBuf> = target.parent().map(Path::to_path_buf);
    while let Some(at) = dir {
        let manifest = at.join("package.json");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                if json["name"] == package {
                    return json["version"].as_str().map(str::to_owned);
                }
            }
        }
        dir = at.parent().map(Path::to_path_buf);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_versions_are_read_and_judged() {
        assert_eq!(node_major("v22.3.0\n"), Some(22));
        assert_eq!(node_major("20.20.2"), Some(20));
        assert_eq!(node_major("banana"), None);
        assert_eq!(node_problem("Claude Code", 22, Some("v22.0.0")), None);
        assert_eq!(node_problem("Claude Code", 22, Some("v24.1.0")), None);
        let old = node_problem("Claude Code", 22, Some("v20.20.2")).expect("too old");
        assert!(
            old.contains("needs Node.js 22 or newer; this machine has v20.20.2"),
            "{old}"
        );
        let none = node_problem("Codex", 20, None).expect("missing");
        assert!(none.contains("no `node`"), "{none}");
        assert!(node_problem("X", 20, Some("garbage")).is_some());
    }

    #[test]
    fn the_installed_version_comes_from_the_packages_manifest() {
        let dir = tempfile::tempdir().expect("dir");
        let package = dir.path().join("lib/node_modules/@scope/agent");
        std::fs::create_dir_all(package.join("dist")).expect("dirs");
        std::fs::write(
            package.join("package.json"),
            r#"{"name":"@scope/agent","version":"2.6.1"}"#,
        )
        .expect("manifest");
        std::fs::write(package.join("dist/index.js"), "").expect("entry");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let link = bin.join("agent");
        std::os::unix::fs::symlink(package.join("dist/index.js"), &link).expect("link");
        assert_eq!(
            installed_version(&link, "@scope/agent").as_deref(),
            Some("2.6.1")
        );
        assert_eq!(installed_version(&link, "@other/agent"), None);
    }
}
