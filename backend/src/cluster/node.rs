//! Who this server is among the servers on one database: its row (the
//! lease), registered once it listens, renewed by heartbeat, and marked
//! stopped on a clean stop.

use super::{Cluster, ClusterError};
use crate::store::NodeRow;

/// This machine's name, as the kernel has it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A node's name unless `--node-name` gives one: the machine and the port
/// it serves on, which no two live servers share.
pub fn default_name(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// Whether a process with this pid runs on this machine (other than us).
fn process_runs(pid: i64) -> bool {
    pid > 0
        && pid != i64::from(std::process::id())
        && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Cluster {
    /// Registers this node. A live server on this machine with the same
    /// name is refused; earlier lives of the name (a restart) are retired,
    /// so their sessions are swept at once rather than when their lease
    /// runs out.
    pub async fn register(&self, addr: &str) -> Result<(), ClusterError> {
        let now = self.clock.now_ms();
        let fresh = self.fresh_after();
        if self.shared {
            for node in self.store.nodes().await? {
                if node.name == self.name
                    && node.host == self.host
                    && node.seen_at > fresh
                    && process_runs(node.pid)
                {
                    return Err(ClusterError::NameTaken {
                        name: node.name,
                        pid: node.pid,
                    });
                }
            }
        }
        self.store
            .register_node(&NodeRow {
                id: self.node_id.clone(),
                name: self.name.clone(),
                host: self.host.clone(),
                addr: addr.to_owned(),
                pid: i64::from(std::process::id()),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                started_at: now,
                seen_at: now,
            })
            .await?;
        if self.shared {
            self.store
                .retire_earlier_lives(&self.name, &self.node_id, now)
                .await?;
        } else {
            // One server on SQLite: every earlier node is an earlier life.
            for node in self.store.nodes().await? {
                if node.id != self.node_id {
                    self.store.node_stopped(&node.id, now).await?;
                }
            }
        }
        Ok(())
    }

    /// Checks that this server opens the same secrets as the others on the
    /// database: a key of its own would leave it unable to read what they
    /// sealed, or push with what they registered.
    pub async fn check_key(
        &self,
        key: &'static str,
        file: &'static str,
        fingerprint: &str,
    ) -> Result<(), ClusterError> {
        if !self.shared {
            return Ok(());
        }
        let stored = self.store.cluster_key(key, fingerprint).await?;
        if stored == fingerprint {
            Ok(())
        } else {
            Err(ClusterError::KeyMismatch { key, file })
        }
    }

    /// Renews the lease. False when this node was retired meanwhile (its
    /// name was taken over): it must stop acting for its sessions.
    pub async fn heartbeat(&self) -> Result<bool, ClusterError> {
        Ok(self
            .store
            .node_heartbeat(&self.node_id, self.clock.now_ms())
            .await?)
    }

    /// A clean stop: the lease ends now, not when it runs out.
    pub async fn stopped(&self) {
        if let Err(error) = self
            .store
            .node_stopped(&self.node_id, self.clock.now_ms())
            .await
        {
            tracing::warn!(%error, "could not record this server's stop");
        }
    }

    /// The agent process groups that servers on this machine left behind.
    pub async fn left_over_agents(&self) -> Result<Vec<crate::store::AgentProcess>, ClusterError> {
        let fresh = if self.shared {
            self.fresh_after()
        } else {
            i64::MAX
        };
        Ok(self
            .store
            .agent_processes_left_over(&self.host, &self.node_id, fresh)
            .await?)
    }

    /// Sessions whose owner died (or that nobody owns), now this node's to
    /// record as interrupted.
    /// A dead server's sessions whose agents run on a runner wait
    /// `runner_grace` for the runner to link to another server, which then
    /// takes them over.
    pub async fn take_orphans(
        &self,
        runner_grace: std::time::Duration,
    ) -> Result<Vec<tandem_shared::SessionId>, ClusterError> {
        if !self.shared {
            return Ok(Vec::new());
        }
        let now = self.clock.now_ms();
        let wait = (runner_grace + self.lease * 3).as_millis() as i64;
        Ok(self
            .store
            .take_orphaned_sessions(&self.node_id, now, self.fresh_after(), now - wait)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_name_is_the_machine_and_port() {
        assert_eq!(default_name("build-1", 8080), "build-1:8080");
        assert!(!host_name().is_empty());
    }

    #[test]
    fn only_other_running_processes_count() {
        assert!(!process_runs(i64::from(std::process::id())));
        assert!(!process_runs(0));
        assert!(!process_runs(-4));
        assert!(process_runs(1));
    }
}
