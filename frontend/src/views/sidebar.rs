//! The sidebar: assistants, and every session grouped by day, live. The
//! two lists are components of their own: on a phone the tab bar shows
//! each as a page.

use super::avatar::Avatar;
use super::icons::{Icon, APPROVALS, TASKS};
use crate::endpoints::sessions;
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::api::{ArchiveSessions, SessionQuery, SessionSummary};
use tandem_shared::{AssistantId, SessionId, SessionStatus};

#[component]
pub fn Sidebar() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Approvals waiting across every assistant this person sees: the
    // server sends the count live.
    let waiting = state.pending;
    let me = state.user.get_value();
    view! {
        <nav class="sidebar" aria-label="Sessions">
            <div class="brand">"Tandem"</div>
            <button class="button primary new-session" data-testid="new-session"
                on:click=move |_| state.select(None)>"New session"</button>
            <div class="nav-heading nav-heading-row">
                "Assistants"
                <button class="link small" data-testid="new-assistant" title="Add an assistant"
                    on:click=move |_| state.go(Page::NewAssistant)>"+ New"</button>
            </div>
            <AssistantList />
            <ul class="assistant-list">
                <li>
                    <button class="nav-item" data-testid="tasks-link"
                        class:selected=move || state.page.get() == Page::Tasks
                        on:click=move |_| state.go(Page::Tasks)><Icon path=TASKS /> "Tasks"</button>
                </li>
                <li>
                    <button class="nav-item" data-testid="approvals-link"
                        class:selected=move || state.page.get() == Page::Approvals
                        on:click=move |_| state.go(Page::Approvals)>
                        <Icon path=APPROVALS /> "Approvals"
                        <Show when=move || { waiting.get() > 0 }>
                            <span class="badge" data-testid="approvals-badge"
                                title="Approvals waiting for you">{move || waiting.get()} " waiting"</span>
                        </Show>
                    </button>
                </li>
                <li>
                    <button class="nav-item" data-testid="usage-link"
                        class:selected=move || state.page.get() == Page::Usage
                        on:click=move |_| state.go(Page::Usage)>"$ Usage"</button>
                </li>
            </ul>
            <div class="nav-heading">"Sessions"</div>
            <SessionList />
            <div class="sidebar-foot">
                <button class="nav-item" data-testid="settings-link"
                    class:selected=move || state.page.get() == Page::Settings
                    on:click=move |_| state.go(Page::Settings)>"⚙ Settings"</button>
                <div class="muted" data-testid="signed-in-as">{me.name}</div>
            </div>
        </nav>
    }
}

#[component]
pub fn AssistantList() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <ul class="assistant-list assistant-roster" data-testid="assistant-roster">
            <For each=move || state.assistants.get() key=|a| (a.id.clone(), a.name.clone())
                children=move |a| {
                    let id = a.id.clone();
                    let selected_id = a.id.clone();
                    view! {
                        <li>
                            <button class="nav-item" data-testid="assistant-item"
                                class:selected=move || state.page.get() == Page::Assistant(selected_id.clone())
                                on:click=move |_| state.go(Page::Assistant(id.clone()))>
                                <Avatar name=a.name.clone() color=a.color.clone() small=true />
                                {a.name.clone()}
                            </button>
                        </li>
                    }
                } />
        </ul>
    }
}

/// Sessions newest first, under a heading per day: filtered by assistant
/// and status, searched (titles and transcript text, archived ones too),
/// and archived one or many at a time.
/// Which sessions the list shows by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Any,
    Live,
    Is(SessionStatus),
    /// The archive (asked of the server).
    Archived,
}

impl StatusFilter {
    const CHOICES: [(StatusFilter, &'static str); 8] = [
        (StatusFilter::Any, "Any status"),
        (StatusFilter::Live, "Live"),
        (
            StatusFilter::Is(SessionStatus::WaitingApproval),
            "Waiting for approval",
        ),
        (StatusFilter::Is(SessionStatus::Completed), "Completed"),
        (StatusFilter::Is(SessionStatus::Failed), "Failed"),
        (StatusFilter::Is(SessionStatus::Stopped), "Stopped"),
        (StatusFilter::Is(SessionStatus::Interrupted), "Interrupted"),
        (StatusFilter::Archived, "Archived"),
    ];

    /// The `<option>` value.
    fn value(self) -> &'static str {
        match self {
            StatusFilter::Any => "",
            StatusFilter::Live => "live",
            StatusFilter::Is(status) => status.as_str(),
            StatusFilter::Archived => "archived",
        }
    }

    fn from_value(value: &str) -> StatusFilter {
        Self::CHOICES
            .into_iter()
            .map(|(filter, _)| filter)
            .find(|filter| filter.value() == value)
            .unwrap_or(StatusFilter::Any)
    }

    fn admits(self, session: &SessionSummary) -> bool {
        match self {
            StatusFilter::Any | StatusFilter::Archived => true,
            StatusFilter::Live => session.status.is_live(),
            StatusFilter::Is(status) => session.status == status,
        }
    }
}

#[component]
pub fn SessionList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let words = RwSignal::new(String::new());
    let assistant = RwSignal::new(None::<AssistantId>);
    let status = RwSignal::new(StatusFilter::Any);
    // From the server while searching or looking at the archive.
    let found = RwSignal::new(None::<Vec<SessionSummary>>);
    let asked = RwSignal::new(0u32);
    let selecting = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<SessionId>::new());
    let in_archive = move || status.get() == StatusFilter::Archived;

    let fetch = move || {
        let q = words.get_untracked();
        let archive = status.get_untracked() == StatusFilter::Archived;
        if q.trim().is_empty() && !archive {
            found.set(None);
            return;
        }
        asked.update(|n| *n += 1);
        let ticket = asked.get_untracked();
        let query = SessionQuery {
            q: Some(q.trim().to_owned()),
            archived: archive.then_some(true),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            // Typing goes on: only the last question's answer counts.
            gloo_timers::future::TimeoutFuture::new(200).await;
            if ticket != asked.get_untracked() {
                return;
            }
            match sessions::list(&query).await {
                Ok(list) if ticket == asked.get_untracked() => found.set(Some(list)),
                Ok(_) => {}
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let shown = move || {
        let assistant = assistant.get();
        let status = status.get();
        let list = found.get().unwrap_or_else(|| state.sessions.get());
        by_day(
            list.into_iter()
                .filter(|s| assistant.as_ref().is_none_or(|a| &s.assistant_id == a))
                .filter(|s| status.admits(s))
                .collect(),
        )
    };
    let archive = move |_| {
        let body = ArchiveSessions {
            session_ids: chosen.get_untracked(),
            archived: !in_archive(),
        };
        if body.session_ids.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match sessions::archive(&body).await {
                Ok(()) => {
                    chosen.set(Vec::new());
                    selecting.set(false);
                    fetch();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="session-tools">
            <input type="search" class="search" data-testid="session-search" aria-label="Search sessions"
                placeholder="Search titles and transcripts"
                prop:value=move || words.get()
                on:input=move |ev| { words.set(event_target_value(&ev)); fetch(); } />
            <div class="row">
                <select aria-label="Assistant" data-testid="filter-assistant" class="grow"
                    on:change=move |ev| {
                        let picked = event_target_value(&ev);
                        assistant.set((!picked.is_empty()).then_some(AssistantId(picked)));
                    }>
                    <option value="">"All assistants"</option>
                    {move || state.assistants.get().into_iter().map(|a| view! {
                        <option value=a.id.as_str().to_owned()>{a.name}</option>
                    }).collect_view()}
                </select>
                <select aria-label="Status" data-testid="filter-status" class="grow"
                    on:change=move |ev| {
                        status.set(StatusFilter::from_value(&event_target_value(&ev)));
                        chosen.set(Vec::new());
                        fetch();
                    }>
                    {StatusFilter::CHOICES.into_iter().map(|(filter, label)| view! {
                        <option value=filter.value()>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="row">
                <button class="button small" data-testid="select-sessions" aria-pressed=move || selecting.get().to_string()
                    on:click=move |_| { selecting.update(|on| *on = !*on); chosen.set(Vec::new()); }>
                    {move || if selecting.get() { "Cancel" } else { "Select" }}
                </button>
                <Show when=move || selecting.get()>
                    <button class="button small" data-testid="archive-selected"
                        disabled=move || chosen.with(Vec::is_empty) on:click=archive>
                        {move || format!("{} ({})", if in_archive() { "Bring back" } else { "Archive" }, chosen.with(Vec::len))}
                    </button>
                </Show>
            </div>
        </div>
        <div class="session-list">
            {move || {
                let groups = shown();
                if groups.is_empty() {
                    let what = if found.with(Option::is_some) { "No session matches." } else { "No sessions yet." };
                    return view! { <p class="muted empty-note" data-testid="sessions-empty">{what}</p> }.into_any();
                }
                groups.into_iter().map(|(day, list)| view! {
                    <h2 class="day-heading" data-testid="day-heading">{day}</h2>
                    <ul class="plain">
                        {list.into_iter().map(|s| view! { <SessionItem s=s selecting=selecting chosen=chosen /> }).collect_view()}
                    </ul>
                }).collect_view().into_any()
            }}
        </div>
    }
}

#[component]
fn SessionItem(
    s: SessionSummary,
    selecting: RwSignal<bool>,
    chosen: RwSignal<Vec<SessionId>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = s.id.clone();
    let selected_id = s.id.clone();
    let is_selected = move || state.selected().as_ref() == Some(&selected_id);
    let live = s.status.is_live();
    let waiting = s.status == SessionStatus::WaitingApproval;
    let check_id = StoredValue::new(s.id.clone());
    let is_chosen = move || check_id.with_value(|id| chosen.with(|c| c.contains(id)));
    let check_label = format!("Select {}", s.title);
    view! {
        <li class="session-row">
            <Show when=move || selecting.get()>
                <input type="checkbox" class="session-check" data-testid="session-check"
                    aria-label=check_label.clone()
                    prop:checked=is_chosen
                    on:change=move |_| check_id.with_value(|id| chosen.update(|c| {
                        match c.iter().position(|x| x == id) {
                            Some(at) => { c.remove(at); }
                            None => c.push(id.clone()),
                        }
                    })) />
            </Show>
            <button class="session-item" class:selected=is_selected
                data-testid="session-item" data-status=s.status.as_str()
                on:click=move |_| state.select(Some(id.clone()))>
                <Avatar name=s.assistant_name.clone() color=s.assistant_color.clone() />
                <span class="session-text">
                    <span class="session-title">{s.title.clone()}</span>
                    <span class="session-meta">
                        {s.assistant_name.clone()} " · "
                        <span class=format!("status status-{}", s.status.as_str())>
                            {live.then(|| view! { <span class="live-dot" aria-hidden="true"></span> })}
                            {waiting.then_some("⚠ ")}
                            {s.status.label()}
                        </span>
                        {s.archived.then(|| view! { " · " <span class="archived-tag">"archived"</span> })}
                    </span>
                </span>
            </button>
        </li>
    }
}

/// Consecutive sessions of one local day, labelled "Today", "Yesterday"
/// or the date.
fn by_day(sessions: Vec<SessionSummary>) -> Vec<(String, Vec<SessionSummary>)> {
    let today = day_of(js_sys::Date::now());
    let yesterday = day_of(js_sys::Date::now() - 86_400_000.0);
    let mut groups: Vec<(String, Vec<SessionSummary>)> = Vec::new();
    for session in sessions {
        let day = day_of(session.created_at as f64);
        let label = if day == today {
            "Today".to_owned()
        } else if day == yesterday {
            "Yesterday".to_owned()
        } else {
            day
        };
        match groups.last_mut() {
            Some((last, list)) if *last == label => list.push(session),
            _ => groups.push((label, vec![session])),
        }
    }
    groups
}

fn day_of(ms: f64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_date_string())
}
