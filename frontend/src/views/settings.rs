//! Settings: one's own account and API tokens, and the team.

use crate::endpoints::{auth, people, push, sessions};
use crate::pwa;
use crate::state::{AppState, Page};
use crate::views::assistant::when;
use crate::views::rules::RulesList;
use crate::views::session::RevokeLink;
use leptos::prelude::*;
use tandem_shared::api::{NewPushSubscription, PushDevice, PushKind, PushMute, PushMutes};
use tandem_shared::auth::{ApiToken, ChangePassword, CreateToken, CreateUser, ShareLink, User};
use tandem_shared::AssistantId;

#[component]
pub fn Settings() -> impl IntoView {
    let state = expect_context::<AppState>();
    let me = state.user.get_value();
    view! {
        <section class="assistant-page" data-testid="settings">
            <header class="session-header"><h1>"Settings"</h1></header>
            <div class="tab-body">
                <Account me=me.clone() />
                <Notifications />
                <Tokens />
                <ShareLinks />
                <Team admin=me.admin />
                {me.admin.then(|| view! { <crate::views::costs::CostSettings /> })}
                {me.admin.then(|| view! { <crate::views::runners::Runners /> })}
                {me.admin.then(|| view! { <crate::views::runners::Servers /> })}
                <div class="card">
                    <h2>"Tandem-wide approval rules"</h2>
                    <p class="muted">"Apply to every assistant; a Block here wins over any assistant's Allow. Only admins change them."</p>
                    <RulesList assistant=None can_edit=me.admin />
                </div>
            </div>
        </section>
    }
}

/// Notifications of new approvals and ended sessions while the app is
/// hidden; the browser asks the person once.
#[component]
fn Notifications() -> impl IntoView {
    let allowed = RwSignal::new(pwa::notifications_allowed());
    view! {
        <div class="card">
            <h2>"Notifications"</h2>
            {if !pwa::notifications_supported() {
                view! { <p class="muted">"This browser does not offer notifications."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">"While Tandem is in the background: an approval waiting for you, and a session that ends. The installed app's icon also shows how many approvals wait."</p>
                    {move || if allowed.get() {
                        view! {
                            <p class="ok-text" data-testid="notifications-on">"Notifications are on."</p>
                            <PushDevices />
                        }.into_any()
                    } else {
                        view! {
                            <button class="button" data-testid="notifications-allow"
                                on:click=move |_| pwa::ask_for_notifications(allowed)>"Allow notifications"</button>
                        }.into_any()
                    }}
                }.into_any()
            }}
        </div>
    }
}

/// Push: this person's devices, which hear of approvals and endings even
/// while Tandem is closed (an approval can be answered from the
/// notification), and what each assistant may push.
#[component]
fn PushDevices() -> impl IntoView {
    let state = expect_context::<AppState>();
    let devices = RwSignal::new(Vec::<PushDevice>::new());
    let mutes = RwSignal::new(Vec::<PushMute>::new());
    let status = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match push::devices().await {
                Ok(found) => devices.set(found),
                Err(message) => state.error.set(Some(message)),
            }
            if let Ok(found) = push::mutes().await {
                mutes.set(found.mutes);
            }
        });
    };
    load();
    let add_this_device = move |_| {
        status.set(Some("Subscribing…".into()));
        leptos::task::spawn_local(async move {
            let outcome = async {
                let key = push::key().await?;
                let json = pwa::push_subscription(&key.public_key).await?;
                let text = js_sys::JSON::stringify(&json)
                    .map(String::from)
                    .map_err(|_| "the subscription could not be read".to_owned())?;
                let mut body: NewPushSubscription =
                    serde_json::from_str(&text).map_err(|e| e.to_string())?;
                body.device = pwa::device_name();
                push::subscribe(&body).await
            }
            .await;
            match outcome {
                Ok(device) => status.set(Some(format!("{} will hear from Tandem.", device.device))),
                Err(message) => status.set(Some(format!("Could not subscribe: {message}"))),
            }
            load();
        });
    };
    let muted = move |assistant: &AssistantId, kind: PushKind| {
        mutes.with(|all| {
            all.iter()
                .any(|m| &m.assistant_id == assistant && m.kind == kind)
        })
    };
    let toggle = move |assistant: AssistantId, kind: PushKind, on: bool| {
        let mut next = mutes.get_untracked();
        next.retain(|m| !(m.assistant_id == assistant && m.kind == kind));
        if !on {
            next.push(PushMute {
                assistant_id: assistant,
                kind,
            });
        }
        leptos::task::spawn_local(async move {
            match push::set_mutes(&PushMutes {
                mutes: next.clone(),
            })
            .await
            {
                Ok(()) => mutes.set(next),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <h3 data-testid="push-heading">"Devices"</h3>
        <p class="muted">"A device you add here is told of approvals and endings even while Tandem is closed, and can answer an approval from the notification."</p>
        <ul class="plain-list" data-testid="push-devices">
            <For each=move || devices.get() key=|d| d.id.clone() let:device>
                {
                    let id = device.id.clone();
                    let remove_id = device.id.clone();
                    view! {
                        <li class="push-device" data-testid="push-device">
                            <strong>{device.device.clone()}</strong>
                            <span class="muted">{format!("{} · added {}", device.service, when(device.created_at))}</span>
                            <span class="actions">
                            <button class="button small" on:click=move |_| {
                                let id = id.clone();
                                status.set(Some("Sending a test…".into()));
                                leptos::task::spawn_local(async move {
                                    status.set(Some(match push::test(&id).await {
                                        Ok(()) => "Test sent: it should show on that device now.".into(),
                                        Err(message) => message,
                                    }));
                                    load();
                                });
                            }>"Test"</button>
                            <button class="button small" on:click=move |_| {
                                let id = remove_id.clone();
                                leptos::task::spawn_local(async move {
                                    if let Err(message) = push::remove(&id).await {
                                        state.error.set(Some(message));
                                    }
                                    load();
                                });
                            }>"Remove"</button>
                            </span>
                        </li>
                    }
                }
            </For>
        </ul>
        {move || devices.with(Vec::is_empty).then(|| view! { <p class="muted">"No device yet."</p> })}
        <button class="button" data-testid="push-add" on:click=add_this_device>"Add this device"</button>
        {move || status.get().map(|text| view! { <p class="muted" data-testid="push-status">{text}</p> })}
        <h3>"What each assistant pushes"</h3>
        <table class="push-kinds">
            <thead><tr><th>"Assistant"</th><th>"Approvals"</th><th>"Endings"</th><th>"Budgets"</th></tr></thead>
            <tbody>
                <For each=move || state.assistants.get() key=|a| a.id.clone() let:assistant>
                    {
                        let id = assistant.id.clone();
                        let cells = [PushKind::Approval, PushKind::Ended, PushKind::Budget].map(|kind| {
                            let id = id.clone();
                            let checked_id = id.clone();
                            view! {
                                <td><input type="checkbox"
                                    prop:checked=move || !muted(&checked_id, kind)
                                    on:change=move |event| toggle(id.clone(), kind, event_target_checked(&event)) /></td>
                            }
                        });
                        view! { <tr><td>{assistant.name.clone()}</td>{cells}</tr> }
                    }
                </For>
            </tbody>
        </table>
    }
}

/// Every live read-only link to a session this person can see.
#[component]
fn ShareLinks() -> impl IntoView {
    let state = expect_context::<AppState>();
    let links = RwSignal::new(Vec::<ShareLink>::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            match sessions::all_share_links().await {
                Ok(found) => links.set(found),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let title = move |link: &ShareLink| {
        state.sessions.with_untracked(|all| {
            all.iter()
                .find(|s| s.id == link.session_id)
                .map(|s| s.title.clone())
                .unwrap_or_else(|| link.session_id.to_string())
        })
    };
    view! {
        <div class="card">
            <h2>"Share links"</h2>
            <p class="muted">"Read-only links to sessions; make them from a session's Share button."</p>
            {move || links.with(Vec::is_empty).then(|| view! { <p class="muted">"No live links."</p> })}
            <ul class="plain-list" data-testid="all-share-links">
                <For each=move || links.get() key=|l| l.id.clone() children=move |link| {
                    let session = link.session_id.clone();
                    let session_id = link.session_id.clone();
                    let link_id = link.id.clone();
                    let expiry = link.expires_at.map(|at| format!("expires {}", when(at))).unwrap_or_else(|| "never expires".into());
                    view! {
                        <li class="row wrap">
                            <button class="link" on:click=move |_| state.go(Page::Session(session.clone()))>{title(&link)}</button>
                            <span class="muted">"by " {link.created_by.clone()} " · " {expiry}</span>
                            <RevokeLink session_id=session_id link_id=link_id testid="all-share-revoke" then=Callback::new(move |()| load()) />
                        </li>
                    }
                } />
            </ul>
        </div>
    }
}

#[component]
fn Account(me: User) -> impl IntoView {
    let state = expect_context::<AppState>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ChangePassword {
            current: current.get_untracked(),
            new: new.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match auth::change_password(&body).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    note.set(Some(
                        "Password changed; your other logins have ended.".into(),
                    ));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let logout = move |_| {
        leptos::task::spawn_local(async move {
            // Logged out or not, the page reloads into the login.
            let _ = auth::logout().await;
            crate::offline::forget_all().await;
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_hash("");
                let _ = window.location().reload();
            }
        });
    };
    let role = if me.admin { "admin" } else { "member" };
    view! {
        <div class="card">
            <h2>"Your account"</h2>
            <p>"Logged in as " <strong data-testid="me">{me.name.clone()}</strong> " (" {role} ")"</p>
            <form class="form" on:submit=change>
                <label class="field"><span>"Current password"</span><input type="password" autocomplete="current-password"
                    prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev)) /></label>
                <label class="field"><span>"New password"</span><input type="password" autocomplete="new-password"
                    prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev)) /></label>
                <div class="row"><button class="button" type="submit">"Change password"</button></div>
            </form>
            {move || note.get().map(|n| view! { <p class="muted" role="status">{n}</p> })}
            <button class="button" data-testid="logout" on:click=logout>"Log out"</button>
        </div>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let state = expect_context::<AppState>();
    let tokens = RwSignal::new(Vec::<ApiToken>::new());
    let name = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match people::tokens().await {
                Ok(list) => tokens.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateToken {
            name: name.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match people::create_token(&body).await {
                Ok(created) => {
                    secret.set(Some(created.secret));
                    name.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"For automation: send " <code>"Authorization: Bearer <token>"</code> "."</p>
            {move || secret.get().map(|s| view! {
                <div class="secret" role="status">"Copy it now; it is not shown again: " <code data-testid="token-secret">{s}</code></div>
            })}
            <ul class="plain-list">
                <For each=move || tokens.get() key=|t| t.id.clone() children=move |t| {
                    let token_id = t.id.clone();
                    let used = t.last_used_at.map(|at| format!("used {}", when(at))).unwrap_or_else(|| "never used".into());
                    view! {
                        <li class="row">
                            <span>{t.name.clone()}</span>
                            <span class="muted">"made " {when(t.created_at)} " · " {used}</span>
                            <button class="button small" on:click=move |_| {
                                let token_id = token_id.clone();
                                leptos::task::spawn_local(async move {
                                    state.report(people::revoke_token(&token_id).await);
                                    load();
                                });
                            }>"Revoke"</button>
                        </li>
                    }
                } />
            </ul>
            <form class="form" on:submit=create>
                <label class="field"><span>"Token name"</span><input data-testid="token-name" placeholder="CI"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <div class="row"><button class="button" type="submit" data-testid="token-create">"Create token"</button></div>
            </form>
        </div>
    }
}

#[component]
fn Team(admin: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let users = RwSignal::new(Vec::<User>::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let make_admin = RwSignal::new(false);
    let load = move || {
        leptos::task::spawn_local(async move {
            match people::list().await {
                Ok(list) => users.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateUser {
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            admin: make_admin.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match people::create(&body).await {
                Ok(_) => {
                    name.set(String::new());
                    password.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="card">
            <h2>"Team"</h2>
            <ul class="plain-list" data-testid="users">
                <For each=move || users.get() key=|u| u.id.clone() children=|u| view! {
                    <li class="row"><span>{u.name.clone()}</span>
                        <span class="muted">{if u.admin { "admin" } else { "member" }}</span></li>
                } />
            </ul>
            {admin.then(|| view! {
                <form class="form" on:submit=add>
                    <label class="field"><span>"Name"</span><input data-testid="user-name" autocomplete="off"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                    <label class="field"><span>"Password"</span><input type="password" data-testid="user-password" autocomplete="new-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) /></label>
                    <label class="check"><input type="checkbox" prop:checked=move || make_admin.get()
                        on:change=move |ev| make_admin.set(event_target_checked(&ev)) />"Admin"</label>
                    <div class="row"><button class="button" type="submit" data-testid="user-add">"Add person"</button></div>
                </form>
            })}
        </div>
    }
}
