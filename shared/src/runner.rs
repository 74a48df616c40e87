//! Runners: machines that run agents for a hub, where the code is. A
//! runner connects out to its hub over one WebSocket (`/api/runner/connect`,
//! its own token) and runs agent processes the hub asks for; the hub keeps
//! the session (its actor, rules, approvals, transcript) and speaks ACP to
//! the agent through the link, line by line.
//!
//! Lines cross numbered: the agent's stdout lines by the runner (`seq` from
//! 1 per process), its stdin lines by the hub. Each side acknowledges what
//! it has taken; after a dropped link the runner's hello says what it holds
//! and each side sends again only what the other has not taken, so every
//! line arrives once, in order.

use serde::{Deserialize, Serialize};

/// Longest frame either side accepts (an agent's line is at most 16 MiB).
pub const MAX_FRAME_BYTES: usize = 17 * 1024 * 1024;

/// A process the runner runs, as it says so in its hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub process: String,
    /// The last stdout line it numbered.
    pub lines: u64,
    /// The last stdin line it wrote to the agent.
    pub stdin: u64,
    /// The last stdin line it received (written, or about to be): a server
    /// taking the process over numbers its lines after it.
    #[serde(default)]
    pub queued: u64,
    /// The agent exited (with its code, if it had one).
    pub exited: Option<Option<i32>>,
}

/// What a runner sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunnerFrame {
    Hello {
        version: String,
        /// Agent kinds it can launch (`claude`, `codex`, `gemini`,
        /// `shell`, `custom`).
        agent_kinds: Vec<String>,
        /// Directories it serves workspaces below.
        workspace_roots: Vec<String>,
        /// Its own `tandem` program, for the agents' MCP server.
        tandem_exe: String,
        /// The hub's address as the runner reaches it (where the agents'
        /// MCP server calls).
        hub: String,
        processes: Vec<Held>,
    },
    Started {
        process: String,
    },
    StartFailed {
        process: String,
        error: String,
    },
    Line {
        process: String,
        seq: u64,
        text: String,
    },
    /// A line the agent wrote to stderr (for error reports; not numbered).
    Stderr {
        process: String,
        text: String,
    },
    /// The agent exited after writing `lines` lines.
    Exited {
        process: String,
        lines: u64,
        code: Option<i32>,
    },
    /// Stdin lines written to the agent, through `stdin`.
    Wrote {
        process: String,
        stdin: u64,
    },
}

/// What a process is started with, decided by the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteLaunch {
    pub program: String,
    pub args: Vec<String>,
    /// The launch's own environment (secrets included), on top of what
    /// every program needs on the runner.
    pub env: Vec<(String, String)>,
    /// The workspace: the agent's working directory.
    pub cwd: String,
    /// Where the agent keeps its own state (writable in its sandbox).
    pub state: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteSignal {
    /// Freeze the process group (pause).
    Stop,
    /// Thaw it.
    Continue,
    Terminate,
    Kill,
}

/// What a hub sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HubFrame {
    /// The hello was taken: for each process the hub still wants, the last
    /// stdout line it holds; anything else the runner holds is ended.
    Welcome {
        runner: String,
        wanted: Vec<Wanted>,
    },
    /// The link is refused (bad or revoked token); the runner stops trying
    /// when it is revoked.
    Refused {
        reason: String,
    },
    Start {
        process: String,
        launch: RemoteLaunch,
    },
    Stdin {
        process: String,
        seq: u64,
        text: String,
    },
    CloseStdin {
        process: String,
    },
    Signal {
        process: String,
        signal: RemoteSignal,
    },
    /// Stdout lines stored through `lines`: the runner may forget them.
    Took {
        process: String,
        lines: u64,
    },
    /// The hub is done with the process: end it, forget its lines.
    Forget {
        process: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wanted {
    pub process: String,
    /// The last stdout line the hub took.
    pub lines: u64,
}

/// A runner as an admin's settings list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Runner {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub created_by: String,
    /// Linked to a server now.
    pub connected: bool,
    pub last_seen_at: Option<i64>,
    pub version: Option<String>,
    pub agent_kinds: Vec<String>,
    pub workspace_roots: Vec<String>,
    /// Sessions running on it now.
    pub live_sessions: u32,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRunner {
    pub name: String,
}

/// A new runner and its token, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedRunner {
    pub runner: Runner,
    pub token: String,
}

/// Where an assistant's sessions run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunsOn {
    /// A runner's id, or null for the hub's own servers.
    pub runner_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_by_type() {
        let frame = RunnerFrame::Line {
            process: "prc_1".into(),
            seq: 3,
            text: "{}".into(),
        };
        let text = serde_json::to_string(&frame).unwrap();
        assert_eq!(
            text,
            r#"{"type":"line","process":"prc_1","seq":3,"text":"{}"}"#
        );
        assert_eq!(serde_json::from_str::<RunnerFrame>(&text).unwrap(), frame);
        let hub = HubFrame::Signal {
            process: "prc_1".into(),
            signal: RemoteSignal::Stop,
        };
        let text = serde_json::to_string(&hub).unwrap();
        assert_eq!(serde_json::from_str::<HubFrame>(&text).unwrap(), hub);
        assert!(serde_json::from_str::<RunnerFrame>(r#"{"type":"line","process":"x"}"#).is_err());
    }
}
