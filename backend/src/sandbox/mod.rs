//! Agents kept inside by the kernel. Every agent's process group runs under a
//! Landlock ruleset: it may write only to its workspace, a private temporary
//! folder and its own state places, and may read everything but Tandem's
//! data directory (its database and the key that opens every secret). An
//! allowed command that writes elsewhere fails with "Permission denied",
//! whatever a person approved.
//!
//! What the ruleset holds is decided here as plain data (`plan`); the
//! kernel's part is in `landlock`.

mod landlock;

pub use self::landlock::{probe, Prepared};

use std::path::{Component, Path, PathBuf};

/// What an operator chose with `--sandbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SandboxMode {
    /// Confine agents where the kernel can; say "not sandboxed" where not.
    #[default]
    Auto,
    /// Refuse to start an agent the kernel cannot confine.
    Require,
    /// Never confine agents (they write wherever their OS user may).
    Off,
}

/// What this server can do, found once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Landlock with the kernel's ABI version.
    Landlock { abi: i32 },
    /// Why agents run unconfined.
    Unavailable(String),
}

/// How agents of this server run, as people are told it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub mode: SandboxMode,
    pub support: Support,
    /// Places an admin made writable for every agent (`--sandbox-writable`).
    pub extra_writable: Vec<PathBuf>,
}

impl Sandbox {
    pub fn new(mode: SandboxMode, extra_writable: Vec<PathBuf>) -> Sandbox {
        let support = match mode {
            SandboxMode::Off => Support::Unavailable("turned off by the server's admin".into()),
            _ => probe(),
        };
        Sandbox {
            mode,
            support,
            extra_writable,
        }
    }

    /// Whether agents are confined.
    pub fn enforced(&self) -> bool {
        matches!(self.support, Support::Landlock { .. })
    }

    /// In words, for the session and the assistant.
    pub fn describe(&self) -> String {
        match &self.support {
            Support::Landlock { abi } => format!(
                "Sandboxed (Landlock ABI {abi}): agents write only to their workspace, a private temporary folder and their own state; Tandem's data directory is unreadable"
            ),
            Support::Unavailable(why) => format!(
                "Not sandboxed ({why}): agents can read and write wherever their OS user can"
            ),
        }
    }

    /// The ruleset for one agent, or none where agents run unconfined:
    /// it writes to `writable` (and the devices every program uses), and
    /// cannot read `hidden`. Lists a few directories; call it off the async
    /// threads.
    pub fn prepare(
        &self,
        writable: Vec<PathBuf>,
        hidden: &Path,
    ) -> Result<Option<Prepared>, String> {
        if let Some(refusal) = self.refusal() {
            return Err(refusal);
        }
        if !self.enforced() {
            return Ok(None);
        }
        let writable = writable
            .into_iter()
            .chain(self.extra_writable.iter().cloned())
            .chain(DEVICES.iter().map(PathBuf::from))
            .collect();
        let confinement = Confinement {
            writable,
            hidden: hidden.to_owned(),
        };
        Prepared::new(&plan(&confinement, disk_children))
            .map(Some)
            .map_err(|error| error.to_string())
    }

    /// Why an agent may not start at all: unconfined while confinement is
    /// required.
    pub fn refusal(&self) -> Option<String> {
        match (&self.support, self.mode) {
            (Support::Unavailable(why), SandboxMode::Require) => Some(format!(
                "this server requires agents to be sandboxed and cannot sandbox them ({why}); an admin can run `tandem serve --sandbox auto` to allow unsandboxed agents"
            )),
            _ => None,
        }
    }
}

/// Where one agent may write, and what it may not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confinement {
    /// Read, write, make and remove beneath each (files or directories).
    pub writable: Vec<PathBuf>,
    /// Never readable, except the writable places beneath it.
    pub hidden: PathBuf,
}

/// The ruleset as paths: read (and execute) beneath `read`, everything
/// beneath `write`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
}

/// Landlock only grants, so "everything but the hidden directory" is told as
/// grants on every sibling along the way from `/` down to it. `children`
/// lists a directory (the disk at spawn time; a test's map in tests).
/// Ancestors themselves get no grant: a grant on `/` would reach the hidden
/// directory too.
pub fn plan(confinement: &Confinement, children: impl Fn(&Path) -> Vec<PathBuf>) -> Plan {
    let mut read = Vec::new();
    let mut at = PathBuf::from("/");
    for component in confinement.hidden.components() {
        let Component::Normal(name) = component else {
            continue;
        };
        let next = at.join(name);
        read.extend(children(&at).into_iter().filter(|child| *child != next));
        at = next;
    }
    if confinement.hidden == Path::new("/") {
        read.clear();
    }
    Plan {
        read,
        write: confinement.writable.clone(),
    }
}

/// The directory's entries, as full paths; nothing if it cannot be listed.
pub fn disk_children(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect()
        })
        .unwrap_or_default()
}

/// A temporary folder only this run's agent uses (`TMPDIR`), readable by
/// its OS user alone.
pub fn private_temp(run: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let path = std::env::temp_dir().join(format!("tandem-agent-{run}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&path) {
        Ok(()) => Ok(path),
        // Left by an earlier run of the same session: used only if it is
        // still a folder of this user's, not a link someone put there.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            use std::os::unix::fs::MetadataExt;
            let found = std::fs::symlink_metadata(&path)?;
            if found.is_dir() && found.uid() == nix::unistd::Uid::effective().as_raw() {
                Ok(path)
            } else {
                Err(error)
            }
        }
        Err(error) => Err(error),
    }
}

/// Devices every program writes to or reads from by name.
pub const DEVICES: [&str; 9] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(entries: &[(&str, &[&str])]) -> impl Fn(&Path) -> Vec<PathBuf> {
        let map: HashMap<PathBuf, Vec<PathBuf>> = entries
            .iter()
            .map(|(dir, names)| {
                (
                    PathBuf::from(dir),
                    names.iter().map(|name| Path::new(dir).join(name)).collect(),
                )
            })
            .collect();
        move |dir: &Path| map.get(dir).cloned().unwrap_or_default()
    }

    #[test]
    fn everything_but_the_data_directory_is_readable() {
        let children = tree(&[
            ("/", &["usr", "etc", "srv", "tmp"]),
            ("/srv", &["tandem", "git"]),
            ("/srv/tandem", &["tandem.db", "secret.key", "workspaces"]),
        ]);
        let confinement = Confinement {
            writable: vec!["/srv/tandem/workspaces/demo".into(), "/tmp/run-1".into()],
            hidden: "/srv/tandem".into(),
        };
        let plan = plan(&confinement, children);
        let read: Vec<&str> = plan.read.iter().filter_map(|p| p.to_str()).collect();
        assert_eq!(read, vec!["/usr", "/etc", "/tmp", "/srv/git"]);
        assert!(!plan.read.iter().any(|p| p.starts_with("/srv/tandem")));
        assert_eq!(plan.write, confinement.writable);
    }

    #[test]
    fn refusals_follow_the_mode() {
        let unable = Sandbox {
            mode: SandboxMode::Require,
            support: Support::Unavailable("no Landlock in this kernel".into()),
            extra_writable: vec![],
        };
        assert!(unable
            .refusal()
            .unwrap()
            .contains("requires agents to be sandboxed"));
        assert!(!unable.enforced());
        let auto = Sandbox {
            mode: SandboxMode::Auto,
            ..unable.clone()
        };
        assert_eq!(auto.refusal(), None);
        assert!(auto.describe().starts_with("Not sandboxed"));
        let able = Sandbox {
            mode: SandboxMode::Require,
            support: Support::Landlock { abi: 7 },
            extra_writable: vec![],
        };
        assert_eq!(able.refusal(), None);
        assert!(able.describe().starts_with("Sandboxed"));
    }
}
