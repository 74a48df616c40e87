//! "New assistant": a person adds an assistant entirely in the browser —
//! its name and colour, the agent it runs (with what this machine has of
//! each), where it works, who it is, and the secrets its agent needs (a
//! model key), which are sent once and never shown again.

use crate::endpoints::{agents, assistants};
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::api::{AgentKindInfo, AgentSpec, CreateAssistant, PutSecret};

/// The model key each agent usually wants, offered as the first secret.
fn usual_secret(kind: &str) -> &'static str {
    match kind {
        "claude" => "ANTHROPIC_API_KEY",
        "codex" => "OPENAI_API_KEY",
        "gemini" => "GEMINI_API_KEY",
        _ => "",
    }
}

#[derive(Clone)]
struct SecretRow {
    name: RwSignal<String>,
    value: RwSignal<String>,
}

impl SecretRow {
    fn new(name: &str) -> SecretRow {
        SecretRow {
            name: RwSignal::new(name.to_owned()),
            value: RwSignal::new(String::new()),
        }
    }
}

#[component]
pub fn NewAssistant() -> impl IntoView {
    let state = expect_context::<AppState>();
    let admin = state.user.with_value(|u| u.admin);
    let kinds = RwSignal::new(Vec::<AgentKindInfo>::new());
    leptos::task::spawn_local(async move {
        match agents::list().await {
            Ok(found) => kinds.set(found),
            Err(message) => state.error.set(Some(message)),
        }
    });
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#6b5bd6".to_owned());
    let kind = RwSignal::new("claude".to_owned());
    let command = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let persona = RwSignal::new(String::new());
    let constitution = RwSignal::new(String::new());
    let secrets = RwSignal::new(vec![SecretRow::new(usual_secret("claude"))]);
    let busy = RwSignal::new(false);
    // Choosing another agent offers its usual key, unless one was typed.
    let choose_kind = move |chosen: String| {
        let usual = usual_secret(&chosen);
        secrets.update(|rows| {
            if let Some(first) = rows.first() {
                let typed = !first.value.get_untracked().is_empty();
                let known = ["", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"]
                    .contains(&first.name.get_untracked().as_str());
                if !typed && known {
                    first.name.set(usual.to_owned());
                }
            }
        });
        kind.set(chosen);
    };
    let create = move || {
        let agent = match kind.get_untracked().as_str() {
            "claude" => AgentSpec::Claude,
            "codex" => AgentSpec::Codex,
            "gemini" => AgentSpec::Gemini,
            "shell" => AgentSpec::Shell,
            _ => {
                let line = command.get_untracked();
                let mut words = line.split_whitespace().map(str::to_owned);
                AgentSpec::Custom {
                    command: words.next().unwrap_or_default(),
                    args: words.collect(),
                    env: Vec::new(),
                }
            }
        };
        let body = CreateAssistant {
            name: name.get_untracked().trim().to_owned(),
            color: Some(color.get_untracked()),
            agent,
            workspace: workspace.get_untracked().trim().to_owned(),
            persona: persona.get_untracked(),
            constitution: constitution.get_untracked(),
            memory: String::new(),
        };
        let to_send: Vec<(String, String)> = secrets
            .get_untracked()
            .iter()
            .map(|row| {
                (
                    row.name.get_untracked().trim().to_owned(),
                    row.value.get_untracked(),
                )
            })
            .filter(|(name, value)| !name.is_empty() && !value.is_empty())
            .collect();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let created = match assistants::create(&body).await {
                Ok(created) => created,
                Err(message) => {
                    busy.set(false);
                    state.error.set(Some(message));
                    return;
                }
            };
            state.assistants.update(|list| list.push(created.clone()));
            for (name, value) in to_send {
                if let Err(message) =
                    assistants::put_secret(&created.id, &name, &PutSecret { value }).await
                {
                    state.error.set(Some(format!(
                        "The assistant was made, but its secret {name}: {message}"
                    )));
                }
            }
            busy.set(false);
            state.go(Page::Assistant(created.id));
        });
    };
    // One labelled input: a line, or (`lines` > 1) a text area.
    let field = move |label: &'static str,
                      hint: &'static str,
                      value: RwSignal<String>,
                      testid: &'static str,
                      lines: u32| {
        let input = if lines > 1 {
            view! {
                <textarea rows=lines.to_string() data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            }
            .into_any()
        } else {
            view! {
                <input type="text" data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            }
            .into_any()
        };
        view! {
            <label class="field">
                <span>{label}</span>
                <small class="muted">{hint}</small>
                {input}
            </label>
        }
    };
    view! {
        <section class="list-page new-assistant" data-testid="new-assistant-page">
            <div class="list-page-head"><h1>"New assistant"</h1></div>
            <div class="form">
                <div class="row">
                    {field("Name", "How people and other assistants call it.", name, "assistant-name", 1)}
                    <label class="field color-field">
                        <span>"Colour"</span>
                        <input type="color" data-testid="assistant-color" aria-label="Colour" prop:value=move || color.get()
                            on:input=move |ev| color.set(event_target_value(&ev)) />
                    </label>
                </div>
                <fieldset class="field agent-kinds">
                    <legend>"Agent"</legend>
                    {move || kinds.get().into_iter().filter(|k| admin || k.kind != "custom").map(|k| {
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
                                    on:change=move |ev| choose_kind(event_target_value(&ev)) />
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
                    {field("Command", "The program and its arguments, speaking ACP on stdio.", command, "assistant-command", 1)}
                </Show>
                {field("Workspace", "The directory the agent works in (an absolute path on this machine).", workspace, "assistant-workspace", 1)}
                {field("Persona", "Who the assistant is: given to the agent at every cold start.", persona, "assistant-persona", 3)}
                {field("Constitution", "Rules it always follows, after the organisation's.", constitution, "assistant-constitution", 3)}
                <fieldset class="field secrets">
                    <legend>"Secrets"</legend>
                    <small class="muted">"Given to this assistant's agent as environment variables (a model key, a gateway's URL). Stored encrypted; nobody can read them back — replace or delete them later."</small>
                    {move || secrets.get().into_iter().map(|row| view! {
                        <div class="row secret-row">
                            <input type="text" class="secret-name" data-testid="secret-name" aria-label="Secret name" placeholder="NAME"
                                prop:value=move || row.name.get() on:input=move |ev| row.name.set(event_target_value(&ev)) />
                            <input type="password" class="secret-value" data-testid="secret-value" aria-label="Secret value"
                                autocomplete="off" placeholder="value"
                                prop:value=move || row.value.get() on:input=move |ev| row.value.set(event_target_value(&ev)) />
                        </div>
                    }).collect_view()}
                    <button class="button small" data-testid="add-secret"
                        on:click=move |_| secrets.update(|rows| rows.push(SecretRow::new("")))>"Add a secret"</button>
                </fieldset>
                <div class="row">
                    <button class="button primary" data-testid="create-assistant"
                        disabled=move || busy.get() || name.with(|n| n.trim().is_empty()) || workspace.with(|w| w.trim().is_empty())
                        on:click=move |_| create()>"Create assistant"</button>
                </div>
            </div>
        </section>
    }
}
