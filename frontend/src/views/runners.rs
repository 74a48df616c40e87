//! Settings for admins: the Tandem servers serving the team, and the
//! runners that run agents where the code is (add one and see its token
//! once, see which are linked, revoke one at once).

use crate::endpoints::runners;
use crate::state::AppState;
use crate::views::assistant::when;
use leptos::prelude::*;
use tandem_shared::runner::{CreateRunner, Runner};
use tandem_shared::servers::ServerNode;

#[component]
pub fn Servers() -> impl IntoView {
    let state = expect_context::<AppState>();
    let servers = RwSignal::new(Vec::<ServerNode>::new());
    leptos::task::spawn_local(async move {
        match runners::servers().await {
            Ok(list) => servers.set(list),
            Err(message) => state.error.set(Some(message)),
        }
    });
    view! {
        <div class="card" data-testid="servers">
            <h2>"Servers"</h2>
            <p class="muted">"The Tandem servers on this database. Any of them serves any session; each live session runs on one."</p>
            <ul class="plain-list">
                <For each=move || servers.get() key=|s| s.id.clone() children=|s| {
                    let status = if s.alive { "alive" } else { "not answering" };
                    view! {
                        <li class="row machine-row">
                            <span class="mono">{s.name.clone()}</span>
                            {s.this_one.then(|| view! { <span class="chip">"this one"</span> })}
                            <span class=if s.alive { "chip ok" } else { "chip warn" }>{status}</span>
                            <span class="muted">{format!("{} · v{} · {} live · seen {}", s.addr, s.version, s.live_sessions, when(s.seen_at))}</span>
                        </li>
                    }
                } />
            </ul>
        </div>
    }
}

#[component]
pub fn Runners() -> impl IntoView {
    let state = expect_context::<AppState>();
    let list = RwSignal::new(Vec::<Runner>::new());
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<(String, String)>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match runners::list().await {
                Ok(found) => list.set(found),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateRunner {
            name: name.get_untracked().trim().to_owned(),
        };
        leptos::task::spawn_local(async move {
            match runners::create(&body).await {
                Ok(made) => {
                    created.set(Some((made.runner.name, made.token)));
                    name.set(String::new());
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    view! {
        <div class="card" data-testid="runners">
            <h2>"Runners"</h2>
            <p class="muted">"Machines that run agents where the code is. A runner connects out to this hub (no open port needed); choose it under an assistant's Sessions."</p>
            {move || created.get().map(|(runner, token)| {
                let command = format!("tandem runner --hub {origin} --token {token} --workspace-root <your code>");
                view! {
                    <div class="secret" role="status" data-testid="runner-token">
                        "Runner " <b>{runner}</b> " made. Copy its token now; it is not shown again. On its machine:"
                        <pre class="mono">{command}</pre>
                    </div>
                }
            })}
            <ul class="plain-list machines" data-testid="runner-list">
                <For each=move || list.get() key=|r| (r.id.clone(), r.connected, r.revoked_at) children=move |r| {
                    let id = r.id.clone();
                    let (label, class) = match (r.revoked_at, r.connected) {
                        (Some(_), _) => ("revoked", "chip"),
                        (None, true) => ("linked", "chip ok"),
                        (None, false) => ("away", "chip warn"),
                    };
                    let seen = r.last_seen_at.map(|at| format!("seen {}", when(at))).unwrap_or_else(|| "never linked".into());
                    let about = format!(
                        "{} · {} live · {}{}",
                        r.agent_kinds.join(", "),
                        r.live_sessions,
                        seen,
                        r.version.as_ref().map(|v| format!(" · v{v}")).unwrap_or_default()
                    );
                    let live = r.revoked_at.is_none();
                    view! {
                        <li class="row machine-row" data-testid="runner-row">
                            <span class="mono">{r.name.clone()}</span>
                            <span class=class data-testid="runner-state">{label}</span>
                            <span class="muted">{about}</span>
                            {live.then(|| view! {
                                <button class="button small danger" data-testid="runner-revoke" on:click=move |_| {
                                    let id = id.clone();
                                    leptos::task::spawn_local(async move {
                                        state.report(runners::revoke(&id).await);
                                        load();
                                    });
                                }>"Revoke"</button>
                            })}
                        </li>
                    }
                } />
            </ul>
            <form class="form" on:submit=add>
                <label class="field"><span>"Runner name"</span><input data-testid="runner-name" placeholder="build-box"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <div class="row"><button class="button" type="submit" data-testid="runner-add">"Add runner"</button></div>
            </form>
        </div>
    }
}
