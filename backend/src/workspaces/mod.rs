//! Where assistants work. Every account picks a workspace below the
//! configured root; admins may pick any directory. Nobody may pick Tandem's
//! own data directory, or one that holds it: an agent working there could
//! read the database and the key that opens every secret.

mod listing;

pub use listing::{create, list};

use std::path::{Path, PathBuf};

/// Longest name of a directory made in the picker.
pub const MAX_DIRECTORY_NAME: usize = 100;

/// The places that decide what may be a workspace, both canonical.
#[derive(Debug, Clone)]
pub struct Places {
    /// Below this, any account may choose or make a workspace.
    pub root: PathBuf,
    /// Tandem's data directory: never part of a workspace.
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorkspaceRefusal {
    #[error("workspace: {0} is not an absolute path")]
    NotAbsolute(String),
    #[error("workspace: {0} is not an existing directory")]
    Missing(String),
    #[error("workspace: {0} holds Tandem's data directory (its database and secret key); choose a directory of its own")]
    HoldsTandemData(String),
    #[error("workspace: {0} is not below {root}; only an admin may choose a directory elsewhere", root = .1)]
    OutsideRoot(String, String),
    #[error("name: {0}")]
    BadName(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("workspace: {0}")]
    Io(String),
}

impl Places {
    /// Makes the root if it is missing, and resolves both places.
    pub fn open(root: &Path, data_dir: &Path) -> std::io::Result<Places> {
        std::fs::create_dir_all(root)?;
        Ok(Places {
            root: root.canonicalize()?,
            data_dir: data_dir.canonicalize()?,
        })
    }

    /// The directory `path` names, with every link resolved, if the caller
    /// may work there.
    pub fn judge(&self, path: &str, admin: bool) -> Result<PathBuf, WorkspaceRefusal> {
        let given = Path::new(path);
        if !given.is_absolute() {
            return Err(WorkspaceRefusal::NotAbsolute(path.to_owned()));
        }
        let real = given
            .canonicalize()
            .ok()
            .filter(|real| real.is_dir())
            .ok_or_else(|| WorkspaceRefusal::Missing(path.to_owned()))?;
        self.allows(&real, admin)
            .map_err(|refusal| refusal.naming(path))?;
        Ok(real)
    }

    /// The rule itself, on a resolved path.
    pub fn allows(&self, real: &Path, admin: bool) -> Result<(), WorkspaceRefusal> {
        let shown = real.display().to_string();
        if self.data_dir.starts_with(real) {
            return Err(WorkspaceRefusal::HoldsTandemData(shown));
        }
        if !admin && !real.starts_with(&self.root) {
            return Err(WorkspaceRefusal::OutsideRoot(
                shown,
                self.root.display().to_string(),
            ));
        }
        Ok(())
    }
}

impl WorkspaceRefusal {
    /// The refusal told with the path as the person wrote it.
    fn naming(self, path: &str) -> WorkspaceRefusal {
        match self {
            WorkspaceRefusal::HoldsTandemData(_) => {
                WorkspaceRefusal::HoldsTandemData(path.to_owned())
            }
            WorkspaceRefusal::OutsideRoot(_, root) => {
                WorkspaceRefusal::OutsideRoot(path.to_owned(), root)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        Places {
            root: "/srv/tandem/workspaces".into(),
            data_dir: "/srv/tandem".into(),
        }
    }

    #[test]
    fn members_work_below_the_root_and_admins_anywhere_else() {
        let places = places();
        assert_eq!(
            places.allows(Path::new("/srv/tandem/workspaces/app"), false),
            Ok(())
        );
        assert_eq!(
            places.allows(Path::new("/srv/tandem/workspaces"), false),
            Ok(())
        );
        assert!(matches!(
            places.allows(Path::new("/etc"), false),
            Err(WorkspaceRefusal::OutsideRoot(..))
        ));
        assert!(matches!(
            places.allows(Path::new("/srv/tandem/workspaces-other"), false),
            Err(WorkspaceRefusal::OutsideRoot(..))
        ));
        assert_eq!(places.allows(Path::new("/home/ana/code"), true), Ok(()));
    }

    #[test]
    fn nobody_works_where_tandem_keeps_its_data() {
        let places = places();
        for path in ["/", "/srv", "/srv/tandem"] {
            for admin in [false, true] {
                assert!(
                    matches!(
                        places.allows(Path::new(path), admin),
                        Err(WorkspaceRefusal::HoldsTandemData(_))
                    ),
                    "{path} admin={admin}"
                );
            }
        }
    }

    #[test]
    fn a_link_out_of_the_root_is_judged_where_it_leads() {
        let dir = std::env::temp_dir().join(format!("tandem-places-{}", std::process::id()));
        let root = dir.join("workspaces");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap_or_default();
        let Ok(places) = Places::open(&root, &data) else {
            panic!("places under {}", dir.display());
        };
        let link = places.root.join("escape");
        let _ = std::os::unix::fs::symlink("/etc", &link);
        let refusal = places.judge(&link.display().to_string(), false);
        assert!(
            matches!(refusal, Err(WorkspaceRefusal::OutsideRoot(..))),
            "{refusal:?}"
        );
        let dots = format!("{}/../../..", places.root.display());
        assert!(places.judge(&dots, false).is_err());
        assert!(matches!(
            places.judge("relative/path", true),
            Err(WorkspaceRefusal::NotAbsolute(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
