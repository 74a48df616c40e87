//! An agent's process group across the server's life: agents die with the
//! server (a parent-death signal), and the groups a killed server left
//! behind (an agent's children live on in its group) are found by the ids
//! the store recorded and ended at the next start.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// The identity of a recorded group: its leader's pid (the group id) and
/// the leader's start time, so a pid the kernel gave to another process
/// later is never taken for the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupId {
    pub pgid: i32,
    pub start_ticks: i64,
}

/// A process's start time in clock ticks since boot (field 22 of
/// `/proc/<pid>/stat`), or `None` when it does not exist.
pub fn start_ticks(pid: i32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_ticks(&stat)
}

/// Field 22 of a stat line; the command name (field 2) may hold spaces and
/// parentheses, so counting starts after its last `)`.
fn parse_start_ticks(stat: &str) -> Option<i64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields 3, 4, … follow: field 22 is the 20th of them.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Ends a group a previous run of the server left. The kernel gives no pid
/// to a new process while a group of that id still has members, so if the
/// leader is gone, whoever is left in the group is the agent's; if the
/// leader's pid belongs to a process started at another time, the group
/// is long gone and someone else has the pid. Returns whether it signalled.
pub fn end_left_over(group: GroupId) -> bool {
    match start_ticks(group.pgid) {
        Some(ticks) if ticks != group.start_ticks => false,
        _ => killpg(Pid::from_raw(group.pgid), Signal::SIGKILL).is_ok(),
    }
}

/// In the child between fork and exec: it is killed when the server's
/// thread that started it ends (the server dying, by any signal), and not
/// started at all if the server already died. Async-signal-safe calls only.
pub fn die_with_parent(parent: u32) -> std::io::Result<()> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
    if nix::unistd::getppid().as_raw() as u32 != parent {
        return Err(std::io::Error::other(
            "the server exited before the agent started",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_time_is_read_past_a_command_name_with_spaces() {
        let stat = "4242 (my (odd) agent) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 1000 200";
        assert_eq!(parse_start_ticks(stat), Some(987654));
        assert_eq!(parse_start_ticks("garbage"), None);
        assert_eq!(parse_start_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn this_process_has_a_start_time_and_a_dead_pid_has_none() {
        let me = i32::try_from(std::process::id()).expect("pid");
        assert!(start_ticks(me).is_some());
        // A group whose leader runs but started at another time is not ours.
        let stranger = GroupId {
            pgid: me,
            start_ticks: start_ticks(me).expect("ticks") + 1,
        };
        assert!(!end_left_over(stranger), "never signal someone else's pid");
    }
}
