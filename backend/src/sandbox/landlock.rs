//! The kernel's part: Landlock's ruleset built in the server, before the
//! fork, and put on the child between fork and exec with two system calls
//! that are safe there (no allocation, no locks).

use super::{Plan, Support};
use ::landlock::{
    Access, AccessFs, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope, ABI,
};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

/// The newest rights this build knows; older kernels get what they have.
const KNOWN: ABI = ABI::V9;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox could not be built: {0}")]
    Ruleset(#[from] ::landlock::RulesetError),
    #[error("the kernel did not take the sandbox")]
    NotTaken,
}

/// Asks the kernel which Landlock it has (`LANDLOCK_CREATE_RULESET_VERSION`).
pub fn probe() -> Support {
    const CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute, size 0 and the version flag, the call
    // only returns a number; nothing is read or written.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if abi >= 1 {
        Support::Landlock {
            abi: i32::try_from(abi).unwrap_or(i32::MAX),
        }
    } else {
        let error = std::io::Error::last_os_error();
        let why = match error.raw_os_error() {
            Some(libc::ENOSYS) => "this kernel has no Landlock".to_owned(),
            Some(libc::EOPNOTSUPP) => "Landlock is turned off in this kernel".to_owned(),
            _ => format!("Landlock is not available: {error}"),
        };
        Support::Unavailable(why)
    }
}

/// A ruleset ready for a child to take.
#[derive(Debug)]
pub struct Prepared {
    ruleset: OwnedFd,
}

impl Prepared {
    /// Builds the ruleset from a plan. Places that do not exist are left out
    /// (nothing to grant there).
    pub fn new(plan: &Plan) -> Result<Prepared, SandboxError> {
        let mut ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(KNOWN))?
            .scope(Scope::Signal)?
            .create()?;
        for (paths, rights) in [
            (&plan.read, AccessFs::from_read(KNOWN)),
            (&plan.write, AccessFs::from_all(KNOWN)),
        ] {
            for path in paths {
                let Some((fd, is_dir)) = open_path(path) else {
                    continue;
                };
                let rights = if is_dir {
                    rights
                } else {
                    rights & AccessFs::from_file(KNOWN)
                };
                ruleset = ruleset.add_rule(PathBeneath::new(fd, rights))?;
            }
        }
        let ruleset: Option<OwnedFd> = ruleset.into();
        ruleset
            .map(|ruleset| Prepared { ruleset })
            .ok_or(SandboxError::NotTaken)
    }

    /// What the child's `pre_exec` needs: the ruleset's descriptor, open in
    /// the child until it execs (it is close-on-exec).
    pub fn raw(&self) -> RawFd {
        self.ruleset.as_raw_fd()
    }

    /// In the child, after fork and before exec: no new privileges (the
    /// kernel's condition for an unprivileged ruleset, and no setuid way
    /// out), then the ruleset, for this process and all it starts.
    pub fn restrict_child(ruleset: RawFd) -> std::io::Result<()> {
        // SAFETY: prctl and a raw system call with plain integers; both are
        // async-signal-safe and touch no memory of ours.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

fn open_path(path: &Path) -> Option<(PathFd, bool)> {
    let is_dir = std::fs::metadata(path).ok()?.is_dir();
    PathFd::new(path).ok().map(|fd| (fd, is_dir))
}
