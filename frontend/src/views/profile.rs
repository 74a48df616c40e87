//! An assistant's profile: its name and colour, the agent it runs and where
//! it works (a change to either, or to persona or constitution, makes the
//! next run start cold), who it is, its memory, secrets, a check of its
//! agent with the defaults every run starts with, and archiving.

use super::agent_picker::{command_line_of, last_check, spec_of, AgentPicker};
use super::check_agent::CheckAgent;
use super::sandbox_chip::SandboxChip;
use super::secrets::SecretsEditor;
use super::workspace_picker::WorkspacePicker;
use crate::endpoints::{agents, assistants};
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::api::{AgentKindInfo, Assistant, SessionSettings, UpdateAssistant};

#[component]
pub fn ProfileTab(assistant: Assistant) -> impl IntoView {
    let state = expect_context::<AppState>();
    let original = StoredValue::new(assistant.clone());
    let name = RwSignal::new(assistant.name.clone());
    let color = RwSignal::new(assistant.color.clone());
    let kinds = RwSignal::new(Vec::<AgentKindInfo>::new());
    let kind = RwSignal::new(assistant.agent.kind_name().to_owned());
    let command = RwSignal::new(command_line_of(&assistant.agent));
    let workspace = RwSignal::new(assistant.workspace.clone());
    let persona = RwSignal::new(assistant.persona.clone());
    let constitution = RwSignal::new(assistant.constitution.clone());
    let memory = RwSignal::new(assistant.memory.clone());
    let worktrees = RwSignal::new(assistant.sessions.worktrees);
    let parallel = RwSignal::new(assistant.sessions.max_parallel.to_string());
    let saved = RwSignal::new(false);
    let me = StoredValue::new(assistant.id.clone());
    let trees = RwSignal::new(Vec::<tandem_shared::changes::Worktree>::new());
    let admin = state.user.get_value().admin;
    let runner_list = RwSignal::new(Vec::<tandem_shared::runner::Runner>::new());
    let runs_on = RwSignal::new(String::new());
    leptos::task::spawn_local(async move {
        if let Ok(found) = crate::endpoints::runners::runs_on(&me.get_value()).await {
            runs_on.set(found.runner_id.unwrap_or_default());
        }
        if admin {
            if let Ok(found) = crate::endpoints::runners::list().await {
                runner_list.set(
                    found
                        .into_iter()
                        .filter(|r| r.revoked_at.is_none())
                        .collect(),
                );
            }
        }
    });
    let choose_runner = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        runs_on.set(chosen.clone());
        let body = tandem_shared::runner::RunsOn {
            runner_id: (!chosen.is_empty()).then_some(chosen),
        };
        leptos::task::spawn_local(async move {
            state.report(crate::endpoints::runners::set_runs_on(&me.get_value(), &body).await);
        });
    };
    leptos::task::spawn_local(async move {
        if let Ok(found) = assistants::worktrees(&me.get_value()).await {
            trees.set(found);
        }
    });
    leptos::task::spawn_local(async move {
        if let Ok(found) = agents::list().await {
            kinds.set(found);
        }
    });
    let pick_kind = Callback::new(move |chosen: String| {
        saved.set(false);
        kind.set(chosen);
    });
    let save = move |_| {
        let before = original.get_value();
        let agent = spec_of(&kind.get_untracked(), &command.get_untracked());
        let place = workspace.get_untracked();
        let body = UpdateAssistant {
            name: Some(name.get_untracked()),
            color: Some(color.get_untracked()),
            persona: Some(persona.get_untracked()),
            constitution: Some(constitution.get_untracked()),
            memory: Some(memory.get_untracked()),
            // Sent only when changed: each makes the next run cold.
            agent: (agent != before.agent).then_some(agent),
            workspace: (place != before.workspace).then_some(place),
            sessions: Some(SessionSettings {
                worktrees: worktrees.get_untracked(),
                // An unreadable number is sent as 0, which the server refuses
                // with the range.
                max_parallel: parallel.get_untracked().trim().parse().unwrap_or(0),
            }),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match assistants::update(&me.get_value(), &body).await {
                Ok(updated) => {
                    saved.set(true);
                    original.set_value(updated.clone());
                    state.assistants.update(|list| {
                        if let Some(a) = list.iter_mut().find(|a| a.id == updated.id) {
                            *a = updated;
                        }
                    });
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let archive = move |_| {
        let body = UpdateAssistant {
            archived: Some(true),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match assistants::update(&me.get_value(), &body).await {
                Ok(archived) => {
                    state
                        .assistants
                        .update(|list| list.retain(|a| a.id != archived.id));
                    state.go(Page::NewSession);
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let field = move |label: &'static str,
                      hint: &'static str,
                      value: RwSignal<String>,
                      rows: u32,
                      testid: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <small class="muted">{hint}</small>
                <textarea rows=rows.to_string() data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| { saved.set(false); value.set(event_target_value(&ev)); }></textarea>
            </label>
        }
    };
    // The check is of the saved agent.
    let saved_check = move || {
        let saved_kind = original.with_value(|a| a.agent.kind_name());
        kinds.with(|all| last_check(all, saved_kind))
    };
    view! {
        <div class="form">
            <div class="row">
                <label class="field">
                    <span>"Name"</span>
                    <input type="text" data-testid="profile-name" prop:value=move || name.get()
                        on:input=move |ev| { saved.set(false); name.set(event_target_value(&ev)); } />
                </label>
                <label class="field color-field">
                    <span>"Colour"</span>
                    <input type="color" data-testid="profile-color" aria-label="Colour" prop:value=move || color.get()
                        on:input=move |ev| { saved.set(false); color.set(event_target_value(&ev)); } />
                </label>
            </div>
            <div class="row">
                <span class="muted">"Its agent runs"</span>
                <SandboxChip />
            </div>
            <AgentPicker kinds=kinds kind=kind command=command on_pick=pick_kind />
            <fieldset class="field">
                <legend>"Workspace"</legend>
                <small class="muted">"Another agent or folder makes the next run start cold."</small>
                <WorkspacePicker value=workspace />
            </fieldset>
            <fieldset class="field" data-testid="session-settings">
                <legend>"Sessions"</legend>
                <label class="row">
                    <input type="checkbox" data-testid="worktrees" prop:checked=move || worktrees.get()
                        on:change=move |ev| { saved.set(false); worktrees.set(event_target_checked(&ev)); } />
                    <span>"In a git workspace, each session works in a worktree of its own, on its own branch"</span>
                </label>
                <label class="row">
                    <span>"Sessions at once (with worktrees)"</span>
                    <input type="number" min="1" max="10" data-testid="max-parallel" prop:value=move || parallel.get()
                        on:input=move |ev| { saved.set(false); parallel.set(event_target_value(&ev)); } />
                </label>
                <label class="row">
                    <span>"Runs on"</span>
                    <select data-testid="runs-on" prop:disabled=!admin on:change=choose_runner
                        prop:value=move || runs_on.get()>
                        <option value="" selected=move || runs_on.get().is_empty()>"This hub's servers"</option>
                        {move || {
                            let mut names = runner_list.get();
                            let current = runs_on.get();
                            if !current.is_empty() && !names.iter().any(|r| r.id == current) {
                                // Not an admin (or revoked): named by its id.
                                names.push(tandem_shared::runner::Runner {
                                    id: current.clone(), name: current.clone(), created_at: 0,
                                    created_by: String::new(), connected: false, last_seen_at: None,
                                    version: None, agent_kinds: Vec::new(), workspace_roots: Vec::new(),
                                    live_sessions: 0, revoked_at: None,
                                });
                            }
                            names.into_iter().map(|r| {
                                let id = r.id.clone();
                                let picked = current == id;
                                let label = format!("Runner {}{}", r.name, if r.connected { "" } else { " (away)" });
                                view! { <option value=id selected=picked>{label}</option> }
                            }).collect_view()
                        }}
                    </select>
                </label>
                <ul class="plain-list" data-testid="worktrees-list">
                    {move || trees.get().into_iter().map(|tree| {
                        let session = tree.session_id.clone();
                        let said = tree.outcome.clone().unwrap_or_else(|| tree.state.as_str().to_owned());
                        view! {
                            <li class="row">
                                <span class="mono">{tree.branch.clone()}</span>
                                <span class="muted">{said}</span>
                                <button class="link" on:click=move |_| state.go(Page::Changes(session.clone()))>"Changes"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </fieldset>
            {field("Persona", "Who the assistant is. Changing it makes the next run start cold.", persona, 4, "persona")}
            {field("Constitution", "Rules it always follows, after the organisation's.", constitution, 4, "constitution")}
            {field("Memory", "The markdown document it keeps across sessions.", memory, 8, "memory")}
            <div class="row">
                <button class="button primary" data-testid="save-profile" on:click=save>"Save"</button>
                <Show when=move || saved.get()><span class="ok-text" data-testid="saved">"Saved"</span></Show>
                <button class="button danger" data-testid="archive" on:click=archive>"Archive"</button>
            </div>
            <SecretsEditor id=me.get_value() />
            {move || view! { <CheckAgent id=me.get_value() last_check=saved_check() /> }}
        </div>
    }
}
