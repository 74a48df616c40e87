//! An assistant's page: chat, sessions, profile (persona, constitution,
//! memory), journal, routines, every wake with the queue, approval rules
//! and members.

use super::avatar::Avatar;
use super::composer::Composer;
use super::members::MembersTab;
use super::profile::ProfileTab;
use super::rules::RulesList;
use crate::endpoints::{assistants, routines};
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::api::{
    ChatAuthorKind, ChatMessage, CreateRoutine, Heartbeat, JournalEntry, NewJournalEntry, PostChat,
    PreCheck, Routine, UpdateRoutine, Wake, WakeState, WakeWhen,
};
use tandem_shared::AssistantId;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Chat,
    Sessions,
    Profile,
    Journal,
    Routines,
    Wakes,
    Rules,
    Members,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Chat,
        Tab::Sessions,
        Tab::Profile,
        Tab::Journal,
        Tab::Routines,
        Tab::Wakes,
        Tab::Rules,
        Tab::Members,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Chat => "Chat",
            Tab::Sessions => "Sessions",
            Tab::Profile => "Profile",
            Tab::Journal => "Journal",
            Tab::Routines => "Routines",
            Tab::Wakes => "Wakes",
            Tab::Rules => "Rules",
            Tab::Members => "Members",
        }
    }
}

/// Short local date and time of a millisecond timestamp.
pub fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[component]
pub fn AssistantPage(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let tab = RwSignal::new(Tab::Chat);
    let assistant = Memo::new(move |_| {
        id.with_value(|id| {
            state
                .assistants
                .with(|list| list.iter().find(|a| &a.id == id).cloned())
        })
    });
    let loaded = Memo::new(move |_| assistant.with(Option::is_some));
    view! {
        <section class="assistant-page" data-testid="assistant-page">
            <header class="session-header">
                {move || assistant.get().map(|a| view! {
                    <div class="assistant-head">
                        <Avatar name=a.name.clone() color=a.color.clone() />
                        <div>
                            <h1>{a.name.clone()}</h1>
                            <div class="session-meta">{a.agent.kind_name()} " agent · " <code>{a.workspace.clone()}</code></div>
                        </div>
                    </div>
                })}
                <AssistantBudget id=id.get_value() />
            </header>
            <nav class="tabs" role="tablist">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button role="tab" class="tab" class:active=move || tab.get() == t
                        aria-selected=move || (tab.get() == t).to_string()
                        data-testid=format!("tab-{}", t.label().to_lowercase())
                        on:click=move |_| tab.set(t)>{t.label()}</button>
                }).collect_view()}
            </nav>
            <div class="tab-body">
                {move || {
                    let id = id.get_value();
                    match tab.get() {
                        Tab::Chat => view! { <ChatTab id=id /> }.into_any(),
                        Tab::Sessions => view! { <SessionsTab id=id /> }.into_any(),
                        // Re-made only when the assistant first loads, not
                        // on every save, so the editor keeps its state.
                        Tab::Profile => match loaded.get().then(|| assistant.get_untracked()).flatten() {
                            Some(a) => view! { <ProfileTab assistant=a /> }.into_any(),
                            None => ().into_any(),
                        },
                        Tab::Journal => view! { <JournalTab id=id /> }.into_any(),
                        Tab::Routines => view! { <RoutinesTab id=id /> }.into_any(),
                        Tab::Wakes => view! { <WakesTab id=id /> }.into_any(),
                        Tab::Rules => view! {
                            <p class="muted">"Allow or Block answers without asking; Ask asks. A Tandem-wide Block wins. \"Always\" answers land here."</p>
                            <RulesList assistant=Some(id) can_edit=true />
                        }.into_any(),
                        Tab::Members => view! { <MembersTab id=id /> }.into_any(),
                    }
                }}
            </div>
        </section>
    }
}

/// This month's spending against the budgets the assistant is held to.
#[component]
fn AssistantBudget(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let standings = RwSignal::new(Vec::new());
    leptos::task::spawn_local(async move {
        match crate::endpoints::budgets::of_assistant(&id).await {
            Ok(list) => standings.set(list),
            Err(message) => state.error.set(Some(message)),
        }
    });
    view! {
        <Show when=move || standings.with(|s| !s.is_empty())>
            <div class="assistant-budget">
                <crate::views::usage::BudgetGauges standings=standings.into() empty="" />
            </div>
        </Show>
    }
}

#[component]
fn ChatTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let messages = RwSignal::new(Vec::<ChatMessage>::new());
    let me = StoredValue::new(id.clone());
    let load = move || {
        leptos::task::spawn_local(async move {
            match assistants::chat(&me.get_value()).await {
                Ok(list) => messages.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    // Summaries land when sessions end: reload as this assistant's sessions change.
    let mine = id.clone();
    Effect::new(move |_| {
        state.sessions.with(|list| {
            list.iter()
                .filter(|s| s.assistant_id == mine)
                .map(|s| (s.status, s.updated_at))
                .collect::<Vec<_>>()
        });
        load();
    });
    let draft = RwSignal::new(String::new());
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match assistants::post_chat(&me.get_value(), &PostChat { text }).await {
                Ok(_) => {
                    draft.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <ol class="chat" data-testid="chat">
            <For each=move || messages.get() key=|m| m.id.clone()
                children=move |m| {
                    let class = match m.author_kind {
                        ChatAuthorKind::Person => "chat-message person",
                        ChatAuthorKind::Assistant => "chat-message assistant",
                        ChatAuthorKind::Summary => "chat-message summary",
                    };
                    let session = m.session_id.clone();
                    view! {
                        <li class=class data-testid="chat-message" data-kind=m.author_kind.as_str()>
                            <div class="who">{m.author.clone()} " · " {when(m.at)}</div>
                            <div class="text">{m.text.clone()}</div>
                            {session.map(|sid| view! {
                                <button class="link" on:click=move |_| state.go(Page::Session(sid.clone()))>"Open the session"</button>
                            })}
                        </li>
                    }
                } />
        </ol>
        <Composer draft=draft on_send=send placeholder="Write to the assistant: this wakes it (Enter sends)" testid="chat-composer" button_testid="chat-send" />
    }
}

#[component]
fn SessionsTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let mine = StoredValue::new(id);
    view! {
        <ul class="plain-list" data-testid="assistant-sessions">
            <For each=move || mine.with_value(|id| state.sessions.with(|list| {
                    let mut own: Vec<_> = list.iter().filter(|s| &s.assistant_id == id).cloned().collect();
                    own.sort_by_key(|s| std::cmp::Reverse(s.created_at));
                    own
                }))
                key=|s| (s.id.clone(), s.status)
                children=move |s| {
                    let sid = s.id.clone();
                    view! {
                        <li>
                            <button class="row-button" on:click=move |_| state.go(Page::Session(sid.clone()))>
                                <span class="session-title">{s.title.clone()}</span>
                                <span class=format!("status status-{}", s.status.as_str())>{s.status.label()}</span>
                                <span class="muted">{when(s.created_at)}</span>
                            </button>
                        </li>
                    }
                } />
        </ul>
    }
}

#[component]
fn JournalTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let entries = RwSignal::new(Vec::<JournalEntry>::new());
    let me = StoredValue::new(id);
    let load = move || {
        leptos::task::spawn_local(async move {
            match assistants::journal(&me.get_value()).await {
                Ok(list) => entries.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let draft = RwSignal::new(String::new());
    let add = move |_| {
        let text = draft.get_untracked();
        leptos::task::spawn_local(async move {
            match assistants::add_journal_entry(&me.get_value(), &NewJournalEntry { text }).await {
                Ok(_) => {
                    draft.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="form">
            <label class="field"><span>"New entry"</span>
                <textarea rows="2" prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
            </label>
            <div class="row"><button class="button" on:click=add>"Add to journal"</button></div>
        </div>
        <ul class="plain-list" data-testid="journal">
            <For each=move || { let mut newest: Vec<JournalEntry> = entries.get(); newest.reverse(); newest } key=|e| e.id.clone()
                children=|e| view! { <li><div class="muted">{when(e.at)}</div><div class="text">{e.text}</div></li> } />
        </ul>
    }
}

#[component]
fn RoutinesTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let list = RwSignal::new(Vec::<Routine>::new());
    let me = StoredValue::new(id);
    let load = move || {
        leptos::task::spawn_local(async move {
            match assistants::routines(&me.get_value()).await {
                Ok(found) => list.set(found),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let cron = RwSignal::new("0 9 * * 1-5".to_owned());
    let zone = RwSignal::new(
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
            .resolved_options()
            .pipe_zone(),
    );
    let prompt = RwSignal::new(String::new());
    let check = RwSignal::new(String::new());
    let check_changed = RwSignal::new(false);
    let add = move |_| {
        let command = check.get_untracked();
        let body = CreateRoutine {
            cron: cron.get_untracked(),
            time_zone: zone.get_untracked(),
            prompt: prompt.get_untracked(),
            precheck: (!command.trim().is_empty()).then(|| PreCheck {
                command,
                wake_when: if check_changed.get_untracked() {
                    WakeWhen::OutputChanged
                } else {
                    WakeWhen::ExitsZero
                },
            }),
        };
        leptos::task::spawn_local(async move {
            match assistants::add_routine(&me.get_value(), &body).await {
                Ok(_) => {
                    prompt.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="form">
            <div class="row wrap">
                <label class="field"><span>"Schedule (cron)"</span>
                    <input data-testid="routine-cron" prop:value=move || cron.get() on:input=move |ev| cron.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"Time zone"</span>
                    <input data-testid="routine-zone" prop:value=move || zone.get() on:input=move |ev| zone.set(event_target_value(&ev)) /></label>
            </div>
            <label class="field"><span>"Prompt"</span>
                <textarea rows="2" data-testid="routine-prompt" prop:value=move || prompt.get() on:input=move |ev| prompt.set(event_target_value(&ev))></textarea></label>
            <div class="row wrap">
                <label class="field grow"><span>"Pre-check (optional, admins): a shell command run in the workspace first"</span>
                    <input data-testid="routine-precheck" placeholder="git fetch -q && git log HEAD..@{u} --oneline"
                        prop:value=move || check.get() on:input=move |ev| check.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"Wake when it"</span>
                    <select data-testid="routine-precheck-when" on:change=move |ev| check_changed.set(event_target_value(&ev) == "changed")>
                        <option value="zero">"exits 0"</option>
                        <option value="changed">"prints something new"</option>
                    </select></label>
            </div>
            <div class="row"><button class="button" data-testid="add-routine" on:click=add>"Add routine"</button></div>
        </div>
        <ul class="plain-list" data-testid="routines">
            <For each=move || list.get() key=|r| (r.id.clone(), r.enabled, r.next_run_at)
                children=move |r| {
                    let rid = r.id.clone();
                    let enabled = r.enabled;
                    let toggle = move |_| {
                        let rid = rid.clone();
                        let body = UpdateRoutine { enabled: Some(!enabled), ..Default::default() };
                        leptos::task::spawn_local(async move {
                            match routines::update(&rid, &body).await {
                                Ok(_) => load(),
                                Err(message) => state.error.set(Some(message)),
                            }
                        });
                    };
                    view! {
                        <li class="routine">
                            <div><code>{r.cron.clone()}</code> " (" {r.time_zone.clone()} ") — " {r.description.clone()}</div>
                            <div class="text">{r.prompt.clone()}</div>
                            {r.precheck.clone().map(|check| view! {
                                <div class="muted">"Pre-check: " <code>{check.command}</code>
                                    {match check.wake_when { WakeWhen::ExitsZero => " (wakes when it exits 0)", WakeWhen::OutputChanged => " (wakes when its output changes)" }}</div>
                            })}
                            <div class="muted">{match r.next_run_at { Some(at) if r.enabled => format!("Next run {}", when(at)), _ => "Paused".into() }}</div>
                            <button class="button" on:click=toggle>{if enabled { "Pause" } else { "Resume" }}</button>
                        </li>
                    }
                } />
        </ul>
    }
}

/// The browser's own time zone, for a new routine's default.
trait PipeZone {
    fn pipe_zone(&self) -> String;
}

impl PipeZone for js_sys::Object {
    fn pipe_zone(&self) -> String {
        js_sys::Reflect::get(self, &wasm_bindgen::JsValue::from_str("timeZone"))
            .ok()
            .and_then(|zone| zone.as_string())
            .unwrap_or_else(|| "UTC".into())
    }
}

#[component]
fn WakesTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let wakes = RwSignal::new(Vec::<Wake>::new());
    let me = StoredValue::new(id.clone());
    let mine = id.clone();
    Effect::new(move |_| {
        state.sessions.with(|list| {
            list.iter()
                .filter(|s| s.assistant_id == mine)
                .map(|s| s.status)
                .collect::<Vec<_>>()
        });
        leptos::task::spawn_local(async move {
            match assistants::wakes(&me.get_value()).await {
                Ok(list) => wakes.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    });
    let beat = RwSignal::new(String::new());
    let send_beat = move |_| {
        let message = beat.get_untracked();
        leptos::task::spawn_local(async move {
            match assistants::heartbeat(
                &me.get_value(),
                &Heartbeat {
                    message,
                    precheck: None,
                },
            )
            .await
            {
                Ok(wake) => {
                    beat.set(String::new());
                    wakes.update(|list| list.insert(0, wake));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="row">
            <input class="grow" data-testid="heartbeat-text" aria-label="Heartbeat message"
                placeholder="A heartbeat: a nudge with a message"
                prop:value=move || beat.get() on:input=move |ev| beat.set(event_target_value(&ev)) />
            <button class="button" data-testid="send-heartbeat" on:click=send_beat>"Send heartbeat"</button>
        </div>
        <p class="muted">"Wakes queue while a session of this assistant is live, and start in order when it ends; a chat message goes into the live session instead."</p>
        <table class="wakes" data-testid="wakes">
            <thead><tr><th>"When"</th><th>"Trigger"</th><th>"From"</th><th>"Message"</th><th>"State"</th></tr></thead>
            <tbody>
                <For each=move || wakes.get() key=|w| (w.id.clone(), w.state)
                    children=move |w| {
                        let session = w.session_id.clone();
                        view! {
                            <tr class:queued=w.state == WakeState::Queued>
                                <td>{when(w.at)}</td>
                                <td>{w.trigger.as_str()}</td>
                                <td>{w.source.clone()}</td>
                                <td class="clip">{w.message.clone()}</td>
                                <td>{match session {
                                    Some(sid) => view! { <button class="link" on:click=move |_| state.go(Page::Session(sid.clone()))>{w.state.as_str()}</button> }.into_any(),
                                    None => view! { <strong>{w.state.as_str()}</strong> }.into_any(),
                                }}
                                {w.reason.clone().map(|reason| view! { <div class="muted wake-reason" data-testid="wake-reason">{reason}</div> })}</td>
                            </tr>
                        }
                    } />
            </tbody>
        </table>
    }
}
