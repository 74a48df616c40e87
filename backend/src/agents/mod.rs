//! Agent kinds are data: how each is launched and what it supports.
//!
//! Real agents that are not on PATH run through `npx` with a pinned package
//! version (listed here and nowhere else), so an agent update cannot change
//! the protocol under a running install. An installed binary of another
//! version is used, and its version shown.

pub mod environment;
pub mod probe;
pub mod versions;

use crate::acp::connection::LaunchSpec;
use std::path::{Path, PathBuf};
use tandem_shared::api::{AgentKindInfo, AgentSpec};

/// Longest custom agent command.
pub const MAX_COMMAND: usize = 4096;

/// Why a custom agent's command cannot be run, if it cannot: it is blank
/// or longer than any command line.
pub fn command_refusal(agent: &AgentSpec) -> Option<String> {
    match agent {
        AgentSpec::Custom { command, .. }
            if command.trim().is_empty() || command.chars().count() > MAX_COMMAND =>
        {
            Some(format!(
                "agent.command: a program to run, 1 to {MAX_COMMAND} characters"
            ))
        }
        _ => None,
    }
}

/// An agent distributed on npm: its binary name and the pinned package.
struct NpmAgent {
    kind: &'static str,
    title: &'static str,
    binary: &'static str,
    package: &'static str,
    version: &'static str,
    args: &'static [&'static str],
    /// The oldest Node.js major version the package runs on.
    node: u32,
    /// Gemini CLI 0.61 cannot create a new file when the client offers `fs`
    /// (it reads first and does not recognise the not-found error), so it
    /// is not offered `fs`.
    fs: bool,
    /// Where it keeps its state below HOME: writable in its sandbox.
    state: &'static [&'static str],
}

/// The pinned adapters: the `@agentclientprotocol/` packages replaced the
/// `@zed-industries/` ones in spring 2026 (claude-agent-acp declares node
/// >= 22; codex-acp declares none and runs on 20).
const NPM_AGENTS: [NpmAgent; 3] = [
    NpmAgent {
        kind: "claude",
        title: "Claude Code",
        binary: "claude-agent-acp",
        package: "@agentclientprotocol/claude-agent-acp",
        version: "0.101.0",
        args: &[],
        node: 22,
        fs: true,
        state: &[".claude", ".claude.json", ".claude.json.backup"],
    },
    NpmAgent {
        kind: "codex",
        title: "Codex",
        binary: "codex-acp",
        package: "@agentclientprotocol/codex-acp",
        version: "2.6.0",
        args: &[],
        node: 20,
        fs: true,
        state: &[".codex"],
    },
    NpmAgent {
        kind: "gemini",
        title: "Gemini CLI",
        binary: "gemini",
        package: "@google/gemini-cli",
        version: "0.61.0",
        args: &["--acp"],
        node: 20,
        fs: false,
        state: &[".gemini"],
    },
];

fn npm_agent(spec: &AgentSpec) -> Option<&'static NpmAgent> {
    let kind = match spec {
        AgentSpec::Claude => "claude",
        AgentSpec::Codex => "codex",
        AgentSpec::Gemini => "gemini",
        _ => return None,
    };
    NPM_AGENTS.iter().find(|agent| agent.kind == kind)
}

/// Why this machine cannot start the agent, before trying: an npm agent's
/// Node.js too old or missing. Blocks; call it off the async threads.
pub fn preflight(spec: &AgentSpec) -> Result<(), String> {
    match npm_agent(spec) {
        Some(agent) => match versions::node_problem(
            agent.title,
            agent.node,
            versions::node_version().as_deref(),
        ) {
            Some(problem) => Err(problem),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// Resolves how to start an assistant's agent. `tandem_exe` is this
/// binary, which also is the built-in shell agent.
pub fn launch_spec(spec: &AgentSpec, tandem_exe: &Path) -> LaunchSpec {
    match spec {
        AgentSpec::Shell => LaunchSpec {
            program: tandem_exe.to_path_buf(),
            args: vec!["agent".into(), "shell".into()],
            env: vec![],
            fs: false,
            passed: Vec::new(),
            state: Vec::new(),
        },
        AgentSpec::Custom { command, args, env } => LaunchSpec {
            program: PathBuf::from(command),
            args: args.clone(),
            env: env
                .iter()
                .map(|var| (var.name.clone(), var.value.clone()))
                .collect(),
            fs: true,
            passed: Vec::new(),
            state: Vec::new(),
        },
        AgentSpec::Claude => npm_launch(&NPM_AGENTS[0], claude_env()),
        AgentSpec::Codex => npm_launch(&NPM_AGENTS[1], vec![]),
        AgentSpec::Gemini => npm_launch(&NPM_AGENTS[2], vec![]),
    }
}

/// How an assistant's agent starts on this server: its launch, with the
/// names of the environment the server's admin passes to every agent.
pub fn launch_for(spec: &AgentSpec, config: &crate::session::RuntimeConfig) -> LaunchSpec {
    let mut launch = launch_spec(spec, &config.tandem_exe);
    launch.passed = config.agent_env.clone();
    launch
}

/// Claude Code refuses to start as root unless told it is sandboxed.
fn claude_env() -> Vec<(String, String)> {
    if nix::unistd::Uid::effective().is_root() {
        vec![("IS_SANDBOX".into(), "1".into())]
    } else {
        vec![]
    }
}

/// An npm agent's own state, and npm's cache (npx) and the common cache,
/// below the HOME the agent gets.
fn state_places(agent: &NpmAgent) -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return Vec::new();
    };
    agent
        .state
        .iter()
        .chain([".npm", ".cache"].iter())
        .map(|place| home.join(place))
        .collect()
}

fn npm_launch(agent: &NpmAgent, env: Vec<(String, String)>) -> LaunchSpec {
    let args: Vec<String> = agent.args.iter().map(|arg| (*arg).to_owned()).collect();
    match which::which(agent.binary) {
        Ok(program) => LaunchSpec {
            program,
            args,
            env,
            fs: agent.fs,
            passed: Vec::new(),
            state: state_places(agent),
        },
        Err(_) => LaunchSpec {
            program: PathBuf::from("npx"),
            args: [
                vec![
                    "--yes".to_owned(),
                    format!("{}@{}", agent.package, agent.version),
                ],
                args,
            ]
            .concat(),
            env,
            fs: agent.fs,
            passed: Vec::new(),
            state: state_places(agent),
        },
    }
}

/// Every kind, and whether this machine can run it now.
pub fn catalog(tandem_exe: &Path) -> Vec<AgentKindInfo> {
    let mut kinds = vec![AgentKindInfo {
        kind: "shell".into(),
        title: "Shell (built in)".into(),
        command_line: launch_spec(&AgentSpec::Shell, tandem_exe).command_line(),
        installed: true,
        note: Some("Runs each line of a prompt as a shell command, after asking.".into()),
        package: None,
        pinned_version: None,
        installed_version: None,
        problem: None,
        last_check: None,
    }];
    let node = versions::node_version();
    for agent in &NPM_AGENTS {
        let on_path = which::which(agent.binary).ok();
        let npx = which::which("npx").is_ok();
        let spec = match agent.kind {
            "claude" => AgentSpec::Claude,
            "codex" => AgentSpec::Codex,
            _ => AgentSpec::Gemini,
        };
        let installed_version = on_path
            .as_deref()
            .and_then(|path| versions::installed_version(path, agent.package));
        let note = match (&on_path, &installed_version) {
            (Some(_), Some(version)) if version != agent.version => format!(
                "`{}` {version} found on PATH and used (Tandem is tested with {});                  it needs a model account.",
                agent.binary, agent.version
            ),
            (Some(_), _) => format!("`{}` found on PATH; it needs a model account.", agent.binary),
            (None, _) if npx => format!(
                "Not installed: runs through npx as {}@{} (fetched on first use). \
                 Install with `npm install -g {}@{}`.",
                agent.package, agent.version, agent.package, agent.version
            ),
            (None, _) => format!(
                "Not installed, and npx is missing: install Node.js {}+, then \
                 `npm install -g {}@{}`.",
                agent.node, agent.package, agent.version
            ),
        };
        kinds.push(AgentKindInfo {
            kind: agent.kind.into(),
            title: agent.title.into(),
            command_line: launch_spec(&spec, tandem_exe).command_line(),
            installed: on_path.is_some(),
            note: Some(note),
            package: Some(agent.package.into()),
            pinned_version: Some(agent.version.into()),
            installed_version,
            problem: versions::node_problem(agent.title, agent.node, node.as_deref()),
            last_check: None,
        });
    }
    kinds.push(AgentKindInfo {
        kind: "custom".into(),
        title: "Custom ACP agent".into(),
        command_line: "any command speaking ACP on stdio".into(),
        installed: true,
        note: None,
        package: None,
        pinned_version: None,
        installed_version: None,
        problem: None,
        last_check: None,
    });
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::api::EnvVar;

    #[test]
    fn shell_agent_is_this_binary() {
        let spec = launch_spec(&AgentSpec::Shell, Path::new("/opt/tandem"));
        assert_eq!(spec.program, PathBuf::from("/opt/tandem"));
        assert_eq!(spec.args, vec!["agent", "shell"]);
    }

    #[test]
    fn custom_agent_is_taken_as_given() {
        let spec = launch_spec(
            &AgentSpec::Custom {
                command: "/bin/my-agent".into(),
                args: vec!["--acp".into()],
                env: vec![EnvVar {
                    name: "A".into(),
                    value: "1".into(),
                }],
            },
            Path::new("/opt/tandem"),
        );
        assert_eq!(spec.command_line(), "/bin/my-agent --acp");
        assert_eq!(spec.env, vec![("A".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn npx_launches_pin_the_version() {
        for spec in [AgentSpec::Claude, AgentSpec::Codex, AgentSpec::Gemini] {
            let launch = launch_spec(&spec, Path::new("/opt/tandem"));
            if launch.program == Path::new("npx") {
                let pinned = npm_agent(&spec).map(|a| format!("{}@{}", a.package, a.version));
                assert!(
                    launch.args.iter().any(|arg| Some(arg) == pinned.as_ref()),
                    "{launch:?}"
                );
            }
        }
        assert!(!launch_spec(&AgentSpec::Gemini, Path::new("/t")).fs);
    }
}
