//! The workspace picker: browse directories from the workspace root, open
//! one to choose it, or make a new one. Every account stays below the root;
//! an admin may also type any path.

use crate::endpoints::workspaces;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::api::{NewWorkspace, WorkspaceListing};

#[component]
pub fn WorkspacePicker(
    /// The chosen directory; empty until one is opened.
    value: RwSignal<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let admin = state.user.with_value(|u| u.admin);
    let listing = RwSignal::new(None::<WorkspaceListing>);
    let typed = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let open = move |path: Option<String>| {
        leptos::task::spawn_local(async move {
            match workspaces::list(path.as_deref()).await {
                Ok(found) => {
                    if found.may_use {
                        value.set(found.path.clone());
                    }
                    typed.set(found.path.clone());
                    listing.set(Some(found));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    // Start where the value is (editing), else at the root.
    let start = value.get_untracked();
    open((!start.is_empty()).then_some(start));
    let make = move || {
        let Some(parent) = listing.with_untracked(|l| l.as_ref().map(|l| l.path.clone())) else {
            return;
        };
        let body = NewWorkspace {
            parent,
            name: new_name.get_untracked().trim().to_owned(),
        };
        leptos::task::spawn_local(async move {
            match workspaces::create(&body).await {
                Ok(made) => {
                    new_name.set(String::new());
                    value.set(made.path.clone());
                    typed.set(made.path.clone());
                    listing.set(Some(made));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="workspace-picker" data-testid="workspace-picker">
            <div class="row picker-path">
                <input type="text" data-testid="workspace-path" aria-label="Workspace directory"
                    readonly=!admin
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { open(Some(typed.get_untracked())) } />
                {admin.then(|| view! {
                    <button class="button small" data-testid="workspace-go" on:click=move |_| open(Some(typed.get_untracked()))>"Go"</button>
                })}
            </div>
            {move || listing.get().map(|found| {
                let parent = found.parent.clone();
                view! {
                    <ul class="picker-list" data-testid="workspace-dirs">
                        {parent.map(|parent| view! {
                            <li><button class="row-button" data-testid="workspace-up"
                                on:click=move |_| open(Some(parent.clone()))>"↑ Up"</button></li>
                        })}
                        {found.directories.iter().map(|name| {
                            let path = format!("{}/{}", found.path.trim_end_matches('/'), name);
                            view! {
                                <li><button class="row-button" data-testid="workspace-dir" data-name=name.clone()
                                    on:click=move |_| open(Some(path.clone()))>"📁 " {name.clone()}</button></li>
                            }
                        }).collect_view()}
                        {found.directories.is_empty().then(|| view! { <li class="muted">"No folders here."</li> })}
                        {found.truncated.then(|| view! { <li class="muted">"More folders than shown: type a path."</li> })}
                    </ul>
                    {(!found.may_use).then(|| view! {
                        <div class="agent-problem">"This folder cannot be a workspace: open or make one below it."</div>
                    })}
                }
            })}
            <div class="row">
                <input type="text" data-testid="new-folder-name" aria-label="New folder" placeholder="new-folder"
                    prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                <button class="button small" data-testid="new-folder"
                    disabled=move || new_name.with(|n| n.trim().is_empty())
                    on:click=move |_| make()>"New folder here"</button>
            </div>
            <small class="muted" data-testid="workspace-chosen">
                {move || { let v = value.get(); if v.is_empty() { "No folder chosen yet".to_owned() } else { format!("Works in {v}") } }}
            </small>
        </div>
    }
}
