//! Agent kinds are data: how each is launched and what it supports.
//!
//! Real agents that are not on PATH run through `npx` with a pinned package
//! version, so an agent update cannot change the protocol under a running
//! install.

use crate::acp::connection::LaunchSpec;
use std::path::{Path, PathBuf};
use tandem_shared::api::{AgentKindInfo, AgentSpec};

/// An agent distributed on npm: its binary name and the pinned package.
struct NpmAgent {
    kind: &'static str,
    title: &'static str,
    binary: &'static str,
    package: &'static str,
    version: &'static str,
    args: &'static [&'static str],
    /// Gemini CLI 0.61 cannot create a new file when the client offers `fs`
    /// (it reads first and does not recognise the not-found error), so it
    /// is not offered `fs`.
    fs: bool,
}

const NPM_AGENTS: [NpmAgent; 3] = [
    NpmAgent {
        kind: "claude",
        title: "Claude Code",
        binary: "claude-agent-acp",
        package: "@zed-industries/claude-agent-acp",
        version: "0.23.1",
        args: &[],
        fs: true,
    },
    NpmAgent {
        kind: "codex",
        title: "Codex",
        binary: "codex-acp",
        package: "@zed-industries/codex-acp",
        version: "0.16.0",
        args: &[],
        fs: true,
    },
    NpmAgent {
        kind: "gemini",
        title: "Gemini CLI",
        binary: "gemini",
        package: "@google/gemini-cli",
        version: "0.61.0",
        args: &["--acp"],
        fs: false,
    },
];

/// Resolves how to start an assistant's agent. `tandem_exe` is this
/// binary, which also is the built-in shell agent.
pub fn launch_spec(spec: &AgentSpec, tandem_exe: &Path) -> LaunchSpec {
    match spec {
        AgentSpec::Shell => LaunchSpec {
            program: tandem_exe.to_path_buf(),
            args: vec!["agent".into(), "shell".into()],
            env: vec![],
            fs: false,
        },
        AgentSpec::Custom { command, args, env } => LaunchSpec {
            program: PathBuf::from(command),
            args: args.clone(),
            env: env
                .iter()
                .map(|var| (var.name.clone(), var.value.clone()))
                .collect(),
            fs: true,
        },
        AgentSpec::Claude => npm_launch(&NPM_AGENTS[0], claude_env()),
        AgentSpec::Codex => npm_launch(&NPM_AGENTS[1], vec![]),
        AgentSpec::Gemini => npm_launch(&NPM_AGENTS[2], vec![]),
    }
}

/// Claude Code refuses to start as root unless told it is sandboxed.
fn claude_env() -> Vec<(String, String)> {
    if nix::unistd::Uid::effective().is_root() {
        vec![("IS_SANDBOX".into(), "1".into())]
    } else {
        vec![]
    }
}

fn npm_launch(agent: &NpmAgent, env: Vec<(String, String)>) -> LaunchSpec {
    let args: Vec<String> = agent.args.iter().map(|arg| (*arg).to_owned()).collect();
    match which::which(agent.binary) {
        Ok(program) => LaunchSpec {
            program,
            args,
            env,
            fs: agent.fs,
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
    }];
    for agent in &NPM_AGENTS {
        let on_path = which::which(agent.binary).is_ok();
        let npx = which::which("npx").is_ok();
        let spec = match agent.kind {
            "claude" => AgentSpec::Claude,
            "codex" => AgentSpec::Codex,
            _ => AgentSpec::Gemini,
        };
        kinds.push(AgentKindInfo {
            kind: agent.kind.into(),
            title: agent.title.into(),
            command_line: launch_spec(&spec, tandem_exe).command_line(),
            installed: on_path,
            note: Some(if on_path {
                format!(
                    "`{}` found on PATH; it needs a model account.",
                    agent.binary
                )
            } else if npx {
                format!(
                    "Not installed: runs through npx as {}@{} (fetched on first use). \
                     Install with `npm install -g {}@{}`.",
                    agent.package, agent.version, agent.package, agent.version
                )
            } else {
                format!(
                    "Not installed, and npx is missing: install Node.js, then \
                     `npm install -g {}@{}`.",
                    agent.package, agent.version
                )
            }),
        });
    }
    kinds.push(AgentKindInfo {
        kind: "custom".into(),
        title: "Custom ACP agent".into(),
        command_line: "any command speaking ACP on stdio".into(),
        installed: true,
        note: None,
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
                assert!(
                    launch.args.iter().any(|arg| arg.contains("@0.")),
                    "{launch:?}"
                );
            }
        }
        assert!(!launch_spec(&AgentSpec::Gemini, Path::new("/t")).fs);
    }
}
