//! "New assistant": a person adds an assistant entirely in the browser —
//! its name and colour, the agent it runs (with what this machine has of
//! each, and what a check of it found: its modes and models, picked as the
//! assistant's defaults), where it works (a folder below the workspace
//! root), who it is, who else may use it, and the secrets its agent needs
//! (a model key), which are sent once and never shown again.

use super::agent_defaults::{AgentDefaults, ProbeSummary};
use super::agent_picker::{last_check, spec_of, AgentPicker};
use super::workspace_picker::WorkspacePicker;
use crate::endpoints::{agents, assistants, people};
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::agent_state::Setting;
use tandem_shared::api::{
    AgentCheck, AgentKindInfo, AgentProbe, CreateAssistant, PutSecret, SecretValue,
};
use tandem_shared::auth::{AddMember, User};
use tandem_shared::UserId;

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

/// The secrets typed so far, as (name, value), blanks left out.
fn typed_secrets(rows: &[SecretRow]) -> Vec<SecretValue> {
    rows.iter()
        .map(|row| SecretValue {
            name: row.name.get_untracked().trim().to_owned(),
            value: row.value.get_untracked(),
        })
        .filter(|s| !s.name.is_empty() && !s.value.is_empty())
        .collect()
}

#[component]
pub fn NewAssistant() -> impl IntoView {
    let state = expect_context::<AppState>();
    let me = state.user.with_value(|u| u.id.clone());
    let kinds = RwSignal::new(Vec::<AgentKindInfo>::new());
    let people_list = RwSignal::new(Vec::<User>::new());
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#6b5bd6".to_owned());
    let kind = RwSignal::new("claude".to_owned());
    let command = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let persona = RwSignal::new(String::new());
    let constitution = RwSignal::new(String::new());
    let secrets = RwSignal::new(vec![SecretRow::new(usual_secret("claude"))]);
    let members = RwSignal::new(Vec::<UserId>::new());
    // What a check of the picked agent found, and the defaults picked from it.
    let probe = RwSignal::new(None::<AgentProbe>);
    let defaults = RwSignal::new(Vec::<Setting>::new());
    let checking = RwSignal::new(false);
    // Whether `probe` is this form's own check, not the kind's last one.
    let fresh = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let last_check_of = move |chosen: &str| kinds.with_untracked(|all| last_check(all, chosen));
    leptos::task::spawn_local(async move {
        match agents::list().await {
            Ok(found) => {
                kinds.set(found);
                probe.set(last_check_of(&kind.get_untracked()));
            }
            Err(message) => state.error.set(Some(message)),
        }
        if let Ok(found) = people::list().await {
            people_list.set(found);
        }
    });
    // Choosing another agent offers its usual key, unless one was typed,
    // and what the last check of it found.
    let pick_kind = Callback::new(move |chosen: String| {
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
        defaults.set(Vec::new());
        fresh.set(false);
        probe.set(last_check_of(&chosen));
        kind.set(chosen);
    });
    let check = move |_| {
        let body = AgentCheck {
            agent: spec_of(&kind.get_untracked(), &command.get_untracked()),
            secrets: typed_secrets(&secrets.get_untracked()),
        };
        checking.set(true);
        leptos::task::spawn_local(async move {
            match agents::check(&body).await {
                Ok(found) => {
                    fresh.set(true);
                    probe.set(Some(found));
                }
                Err(message) => state.error.set(Some(message)),
            }
            checking.set(false);
        });
    };
    let choose_default = Callback::new(move |setting: Setting| {
        defaults.update(|all| {
            all.retain(|s| s.key() != setting.key());
            all.push(setting);
        });
    });
    let create = move || {
        let body = CreateAssistant {
            name: name.get_untracked().trim().to_owned(),
            color: Some(color.get_untracked()),
            agent: spec_of(&kind.get_untracked(), &command.get_untracked()),
            workspace: workspace.get_untracked().trim().to_owned(),
            persona: persona.get_untracked(),
            constitution: constitution.get_untracked(),
            memory: String::new(),
            sessions: None,
        };
        let to_send = typed_secrets(&secrets.get_untracked());
        let chosen = defaults.get_untracked();
        let invited = members.get_untracked();
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
            // The assistant exists: what follows is told, not undone.
            let mut problems = Vec::new();
            for secret in to_send {
                let body = PutSecret {
                    value: secret.value,
                };
                if let Err(message) = assistants::put_secret(&created.id, &secret.name, &body).await
                {
                    problems.push(format!("its secret {}: {message}", secret.name));
                }
            }
            for setting in chosen {
                if let Err(message) = assistants::set_default(&created.id, &setting).await {
                    problems.push(format!("its default {}: {message}", setting.key()));
                }
            }
            for user_id in invited {
                if let Err(message) =
                    assistants::add_member(&created.id, &AddMember { user_id }).await
                {
                    problems.push(format!("a member: {message}"));
                }
            }
            if !problems.is_empty() {
                state.error.set(Some(format!(
                    "The assistant was made, but not {}",
                    problems.join("; ")
                )));
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
                <AgentPicker kinds=kinds kind=kind command=command on_pick=pick_kind />
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
                <fieldset class="field check-agent" data-testid="new-check">
                    <legend>"Modes and models"</legend>
                    <small class="muted">"Check the agent (with the secrets above) to see what it offers, and pick what every run starts with. Left alone, runs start in the agent's asking mode."</small>
                    <div class="row">
                        <button class="button small" data-testid="check-agent-button" disabled=move || checking.get() on:click=check>
                            {move || if checking.get() { "Checking…" } else { "Check agent" }}
                        </button>
                        {move || (probe.with(Option::is_some) && !fresh.get()).then(|| view! {
                            <small class="muted">"Showing the last check of this agent."</small>
                        })}
                    </div>
                    {move || probe.get().map(|found| view! {
                        <div class="check-result" data-testid="check-result">
                            <ProbeSummary probe=found.clone() />
                            <AgentDefaults probe=found chosen=defaults on_choose=choose_default />
                        </div>
                    })}
                </fieldset>
                <fieldset class="field">
                    <legend>"Workspace"</legend>
                    <small class="muted">"The folder the agent works in. Open one, or make a new one."</small>
                    <WorkspacePicker value=workspace />
                </fieldset>
                {field("Persona", "Who the assistant is: given to the agent at every cold start.", persona, "assistant-persona", 3)}
                {field("Constitution", "Rules it always follows, after the organisation's.", constitution, "assistant-constitution", 3)}
                <fieldset class="field members-pick" data-testid="new-members">
                    <legend>"Members"</legend>
                    <small class="muted">"Who else may see and use it (you are its first member; admins see every assistant)."</small>
                    {move || people_list.get().into_iter().filter(|p| p.id != me).map(|person| {
                        let id = person.id.clone();
                        let id_checked = person.id.clone();
                        view! {
                            <label class="member-pick" data-testid="member-pick" data-name=person.name.clone()>
                                <input type="checkbox"
                                    prop:checked=move || members.with(|m| m.contains(&id_checked))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let id = id.clone();
                                        members.update(|m| { m.retain(|x| x != &id); if on { m.push(id); } });
                                    } />
                                {person.name.clone()}
                            </label>
                        }
                    }).collect_view()}
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
