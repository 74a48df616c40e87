//! Which agent an assistant runs: each kind with what this machine has of
//! it (installed, version, why it cannot start), and for admins a custom
//! command speaking ACP.

use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::api::{AgentKindInfo, AgentProbe, AgentSpec};

/// The spec a picked kind (and, for a custom agent, its command line) means.
pub fn spec_of(kind: &str, command_line: &str) -> AgentSpec {
    match kind {
        "claude" => AgentSpec::Claude,
        "codex" => AgentSpec::Codex,
        "gemini" => AgentSpec::Gemini,
        "shell" => AgentSpec::Shell,
        _ => {
            let mut words = command_line.split_whitespace().map(str::to_owned);
            AgentSpec::Custom {
                command: words.next().unwrap_or_default(),
                args: words.collect(),
                env: Vec::new(),
            }
        }
    }
}

/// What the last good check of `kind` found, if this server kept one.
pub fn last_check(kinds: &[AgentKindInfo], kind: &str) -> Option<AgentProbe> {
    kinds
        .iter()
        .find(|k| k.kind == kind)
        .and_then(|k| k.last_check.clone())
}

/// A custom agent's command line, as shown for editing.
pub fn command_line_of(spec: &AgentSpec) -> String {
    match spec {
        AgentSpec::Custom { command, args, .. } => std::iter::once(command.clone())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[component]
pub fn AgentPicker(
    kinds: RwSignal<Vec<AgentKindInfo>>,
    kind: RwSignal<String>,
    command: RwSignal<String>,
    /// Called with the kind a person picks.
    on_pick: Callback<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let admin = state.user.with_value(|u| u.admin);
    view! {
        <fieldset class="field agent-kinds">
            <legend>"Agent"</legend>
            // The shell agent and custom commands run commands on this
            // machine: an admin's to give (an assistant that has one shows it).
            {move || kinds.get().into_iter().filter(|k| admin || !matches!(k.kind.as_str(), "custom" | "shell") || kind.get_untracked() == k.kind).map(|k| {
                let value = k.kind.clone();
                let chosen = k.kind.clone();
                let versions = k.pinned_version.clone().map(|pinned| match &k.installed_version {
                    Some(installed) => format!("installed {installed} (pinned {pinned})"),
                    None => format!("runs {pinned} through npx"),
                });
                view! {
                    <label class="agent-kind" data-testid="agent-kind" data-kind=k.kind.clone()>
                        <input type="radio" name="agent-kind" value=value
                            prop:checked=move || kind.get() == chosen
                            on:change=move |ev| on_pick.run(event_target_value(&ev)) />
                        <span class="agent-text">
                            <strong>{k.title.clone()}</strong>
                            <span class=if k.installed { "agent-mark ok" } else { "agent-mark" }>
                                {if k.installed { " ✓ installed" } else { " – not installed" }}
                            </span>
                            {versions.map(|v| view! { <span class="muted">" · " {v}</span> })}
                            {k.problem.clone().map(|p| view! { <span class="agent-problem" data-testid="agent-problem">{p}</span> })}
                        </span>
                    </label>
                }
            }).collect_view()}
        </fieldset>
        <Show when=move || kind.get() == "custom">
            <label class="field">
                <span>"Command"</span>
                <small class="muted">"The program and its arguments, speaking ACP on stdio."</small>
                <input type="text" data-testid="assistant-command" readonly=!admin prop:value=move || command.get()
                    on:input=move |ev| command.set(event_target_value(&ev)) />
            </label>
        </Show>
    }
}
