//! Who belongs to an assistant: members (and admins) see its sessions,
//! chat, approvals and settings.

use crate::endpoints::{assistants, people};
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::auth::{AddMember, User};
use tandem_shared::{AssistantId, UserId};

#[component]
pub fn MembersTab(id: AssistantId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let members = RwSignal::new(Vec::<User>::new());
    let everyone = RwSignal::new(Vec::<User>::new());
    let pick = RwSignal::new(String::new());
    leptos::task::spawn_local(async move {
        match assistants::members(&id.get_value()).await {
            Ok(list) => members.set(list),
            Err(message) => state.error.set(Some(message)),
        }
        if let Ok(list) = people::list().await {
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
            match assistants::add_member(&id.get_value(), &body).await {
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
                let user_id = user.id.clone();
                view! {
                    <li class="row">
                        <span data-testid="member">{user.name.clone()}</span>
                        <button class="button small" on:click=move |_| {
                            let user_id = user_id.clone();
                            leptos::task::spawn_local(async move {
                                state.report(assistants::remove_member(&id.get_value(), &user_id).await);
                                if let Ok(list) = assistants::members(&id.get_value()).await {
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
