//! The tasks board: columns by status; assigning a task wakes the assistant.

use crate::endpoints::tasks;
use crate::state::{AppState, Page};
use leptos::prelude::*;
use tandem_shared::api::{CreateTask, Task, TaskStatus, UpdateTask};
use tandem_shared::AssistantId;

const COLUMNS: [(TaskStatus, &str); 5] = [
    (TaskStatus::Todo, "To do"),
    (TaskStatus::InProgress, "In progress"),
    (TaskStatus::InReview, "In review"),
    (TaskStatus::Done, "Done"),
    (TaskStatus::Cancelled, "Cancelled"),
];

#[component]
pub fn TasksPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let board = RwSignal::new(Vec::<Task>::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            match tasks::list().await {
                Ok(list) => board.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    // Sessions starting and ending move tasks: reload with them.
    Effect::new(move |_| {
        state
            .sessions
            .with(|list| list.iter().map(|s| s.status).collect::<Vec<_>>());
        load();
    });
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let assignee = RwSignal::new(String::new());
    let create = move |_| {
        let chosen = assignee.get_untracked();
        let request = CreateTask {
            title: title.get_untracked(),
            body: body.get_untracked(),
            assignee_id: (!chosen.is_empty()).then_some(AssistantId(chosen)),
        };
        leptos::task::spawn_local(async move {
            match tasks::create(&request).await {
                Ok(_) => {
                    title.set(String::new());
                    body.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let name_of = move |id: &Option<AssistantId>| {
        id.as_ref()
            .and_then(|id| {
                state
                    .assistants
                    .with(|list| list.iter().find(|a| &a.id == id).map(|a| a.name.clone()))
            })
            .unwrap_or_else(|| "Unassigned".into())
    };
    view! {
        <section class="tasks-page" data-testid="tasks-page">
            <header class="session-header"><h1>"Tasks"</h1></header>
            <div class="form new-task">
                <div class="row wrap">
                    <label class="field grow"><span>"Title"</span>
                        <input data-testid="task-title" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) /></label>
                    <label class="field"><span>"Assign to"</span>
                        <select data-testid="task-assignee" on:change=move |ev| assignee.set(event_target_value(&ev))>
                            <option value="">"Nobody yet"</option>
                            <For each=move || state.assistants.get() key=|a| a.id.clone()
                                children=|a| view! { <option value=a.id.0.clone()>{a.name.clone()}</option> } />
                        </select></label>
                </div>
                <label class="field"><span>"Description"</span>
                    <textarea rows="2" data-testid="task-body" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
                <div class="row"><button class="button primary" data-testid="create-task" on:click=create>"Create task"</button></div>
            </div>
            <div class="board">
                {COLUMNS.into_iter().map(|(status, label)| view! {
                    <div class="column" data-testid=format!("column-{}", status.as_str())>
                        <h2>{label}</h2>
                        <For each=move || board.with(|list| list.iter().filter(|t| t.status == status).cloned().collect::<Vec<_>>())
                            key=|t| (t.id.clone(), t.status, t.updated_at)
                            children=move |t| {
                                let tid = t.id.clone();
                                let change = move |ev: leptos::ev::Event| {
                                    let Some(status) = TaskStatus::parse(&event_target_value(&ev)) else { return };
                                    let tid = tid.clone();
                                    let body = UpdateTask { status: Some(status), ..Default::default() };
                                    leptos::task::spawn_local(async move {
                                        match tasks::update(&tid, &body).await {
                                            Ok(_) => load(),
                                            Err(message) => state.error.set(Some(message)),
                                        }
                                    });
                                };
                                let sessions = t.session_ids.clone();
                                view! {
                                    <article class="task-card" data-testid="task-card">
                                        <div class="task-title">{t.title.clone()}</div>
                                        <div class="muted">{name_of(&t.assignee_id)}</div>
                                        {(!t.body.is_empty()).then(|| view! { <div class="text clip">{t.body.clone()}</div> })}
                                        <div class="row wrap">
                                            <select aria-label="Status" on:change=change>
                                                {COLUMNS.into_iter().map(|(s, l)| view! { <option value=s.as_str() selected=s == t.status>{l}</option> }).collect_view()}
                                            </select>
                                            {sessions.into_iter().map(|sid| {
                                                let open = sid.clone();
                                                let changes = sid.clone();
                                                view! {
                                                    <button class="link" on:click=move |_| state.go(Page::Session(open.clone()))>"Session"</button>
                                                    // In review: what to review is the change.
                                                    {(t.status == TaskStatus::InReview).then(|| view! {
                                                        <button class="link" data-testid="task-changes"
                                                            on:click=move |_| state.go(Page::Changes(changes.clone()))>"Changes"</button>
                                                    })}
                                                }
                                            }).collect_view()}
                                        </div>
                                    </article>
                                }
                            } />
                    </div>
                }).collect_view()}
            </div>
        </section>
    }
}
