//! Who belongs to an assistant: members (and admins) see its sessions,
//! chat, approvals and settings.

use crate::api;
use crate::app::AppState;
use leptos::prelude::*;
use tandem_shared::auth::{AddMember, User};
use tandem_shared::{AssistantId, UserId};

#[component]
pub fn MembersTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let path = StoredValue::new(format!("/api/assistants/{id}/members"));
    let members = RwSignal::new(Vec::<User>::new());
    let everyone = RwSignal::new(Vec::<User>::new());
    let pick = RwSignal::new(String::new());
    leptos::task::spawn_local(async move {
        match api::get::<Vec<User>>(&path.get_value()).await {
            Ok(list) => members.set(list),
            Err(message) => state.error.set(Some(message)),
        }
        if let Ok(list) = api::get::<Vec<User>>("/api/users").await {
            everyone.set(list);
        }
    });
    let candidates = move || {
        let inside = members.with(|m| m.iter().map(|u| u.id.clone()).collect::<Vec<_>>());
        everyone.with(|all| {
            all.iter()
                .filter(|u| !inside.contains(&u.id))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let add = move |_| {
        let chosen = pick.get_untracked();
        if chosen.is_empty() {
            return;
        }
        let body = AddMember {
            user_id: UserId(chosen),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Vec<User>>(&path.get_value(), &body).await {
                Ok(list) => {
                    members.set(list);
                    pick.set(String::new());
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <p class="muted">"Members see this assistant's sessions, chat and approvals. Admins see everything."</p>
        <ul class="plain-list" data-testid="members">
            <For each=move || members.get() key=|u| u.id.clone() children=move |user| {
                let remove_path = format!("{}/{}", path.get_value(), user.id);
                view! {
                    <li class="row">
                        <span data-testid="member">{user.name.clone()}</span>
                        <button class="button small" on:click=move |_| {
                            let remove_path = remove_path.clone();
                            leptos::task::spawn_local(async move {
                                let result = api::delete(&remove_path).await;
                                state.report(result);
                                if let Ok(list) = api::get::<Vec<User>>(&path.get_value()).await {
                                    members.set(list);
                                }
                            });
                        }>"Remove"</button>
                    </li>
                }
            } />
        </ul>
        <div class="row">
            <label class="field"><span>"Add a person"</span>
                <select data-testid="member-pick" prop:value=move || pick.get()
                    on:change=move |ev| pick.set(event_target_value(&ev))>
                    <option value="">"Choose…"</option>
                    {move || candidates().into_iter().map(|u| view! {
                        <option value=u.id.0.clone()>{u.name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button class="button" data-testid="member-add" on:click=add>"Add"</button>
        </div>
    }
}
