//! One session: header, the live transcript, and the composer.

use super::assistant::when;
use super::composer::Composer;
use super::transcript::TranscriptList;
use crate::endpoints::sessions;
use crate::state::{AppState, Page};
use crate::views::agent_bar::AgentBar;
use leptos::prelude::*;
use tandem_shared::api::{ArchiveSessions, SendMessage};
use tandem_shared::auth::{CreateShareLink, ShareLink};
use tandem_shared::SessionId;

/// What the header's pause/resume button asks.
#[derive(Clone, Copy)]
enum Step {
    Pause,
    Resume,
}

/// `changes`: the Changes tab rather than the transcript.
#[component]
pub fn SessionView(id: SessionId, changes: bool) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let summary = Memo::new(move |_| {
        id.with_value(|id| {
            state
                .sessions
                .with(|list| list.iter().find(|s| &s.id == id).cloned())
        })
    });
    let status = Memo::new(move |_| {
        state
            .follow
            .transcript
            .with(|t| t.status)
            .or_else(|| summary.get().map(|s| s.status))
    });
    let title = move || {
        state
            .follow
            .transcript
            .with(|t| t.title.clone())
            .or_else(|| summary.get().map(|s| s.title))
            .unwrap_or_else(|| "Session".into())
    };
    let stop = move |_| {
        leptos::task::spawn_local(async move {
            state.report(sessions::stop(&id.get_value()).await);
        });
    };
    let step = move |step: Step| {
        leptos::task::spawn_local(async move {
            let id = id.get_value();
            state.report(match step {
                Step::Pause => sessions::pause(&id).await,
                Step::Resume => sessions::resume(&id).await,
            });
        });
    };
    let archive = move |_| {
        let body = ArchiveSessions {
            session_ids: vec![id.get_value()],
            archived: true,
        };
        leptos::task::spawn_local(async move {
            match sessions::archive(&body).await {
                Ok(()) => state.select(None),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let sharing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let deliver = move |interrupt: bool| {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let body = SendMessage { text, interrupt };
            match sessions::send(&id.get_value(), &body).await {
                Ok(_) => draft.set(String::new()),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let send = move || deliver(false);
    let live = move || status.get().is_some_and(|s| s.is_live());
    let paused = move || status.get() == Some(tandem_shared::SessionStatus::Paused);

    view! {
        <section class="session-view" data-testid="session-view">
            <header class="session-header">
                <div>
                    <h1 data-testid="session-title">{title}</h1>
                    <div class="session-meta">
                        {move || summary.get().map(|s| s.assistant_name)} " · "
                        <span class="status-badge" data-testid="session-status">
                            {move || status.get().map(|s| s.label()).unwrap_or("…")}
                        </span>
                    </div>
                    <AgentBar id=id.get_value() />
                </div>
                <div class="header-actions">
                    <button class="button" data-testid="share" aria-expanded=move || sharing.get().to_string()
                        on:click=move |_| sharing.update(|open| *open = !*open)>"Share"</button>
                    <Show when=move || live() && !paused()>
                        <button class="button" data-testid="pause" on:click=move |_| step(Step::Pause)>"Pause"</button>
                    </Show>
                    <Show when=move || paused() || status.get().is_some_and(|s| !s.is_live())>
                        <button class="button" data-testid="resume" on:click=move |_| step(Step::Resume)>"Resume"</button>
                    </Show>
                    <Show when=live>
                        <button class="button danger" data-testid="stop" on:click=stop>"Stop"</button>
                    </Show>
                    <Show when=move || status.get().is_some_and(|s| !s.is_live())>
                        <button class="button" data-testid="archive-session" title="Out of the sidebar; search still finds it"
                            on:click=archive>"Archive"</button>
                    </Show>
                </div>
            </header>
            <Show when=move || sharing.get()>
                <SharePanel id=id.get_value() />
            </Show>
            <nav class="tabs session-tabs" role="tablist" aria-label="Session">
                <button role="tab" class="tab" class:active=!changes data-testid="tab-transcript" aria-selected=(!changes).to_string()
                    on:click=move |_| state.go(Page::Session(id.get_value()))>"Transcript"</button>
                <button role="tab" class="tab" class:active=changes data-testid="tab-changes" aria-selected=changes.to_string()
                    on:click=move |_| state.go(Page::Changes(id.get_value()))>"Changes"</button>
            </nav>
            {if changes {
                crate::pieces::changes(id.get_value())
            } else {
                view! {
                    <TranscriptList transcript=state.follow.transcript catching_up=state.follow.catching_up />
                    <Composer draft=draft on_send=send placeholder="Send a follow-up (Enter sends, Shift+Enter: new line, / for the agent's commands)" testid="composer" button_testid="send"
                        commands=Signal::derive(move || state.follow.transcript.with(|t| t.agent.commands.clone())) />
                    <Show when=live>
                        <div class="composer-extra">
                            <button class="button small" data-testid="interrupt-send" title="Cancel the agent's turn and send this now"
                                on:click=move |_| deliver(true)>"Interrupt and send"</button>
                        </div>
                    </Show>
                }.into_any()
            }}
        </section>
    }
}

/// Read-only links to this session: make one (with an optional expiry),
/// see the live ones, revoke.
#[component]
fn SharePanel(id: SessionId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let links = RwSignal::new(Vec::<ShareLink>::new());
    let fresh = RwSignal::new(None::<String>);
    let hours = RwSignal::new(String::from("168"));
    let load = move || {
        leptos::task::spawn_local(async move {
            match sessions::share_links(&id.get_value()).await {
                Ok(list) => links.set(list),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    load();
    let create = move |_| {
        let body = CreateShareLink {
            expires_in_hours: hours.get_untracked().parse().ok().filter(|h| *h > 0),
        };
        leptos::task::spawn_local(async move {
            match sessions::create_share_link(&id.get_value(), &body).await {
                Ok(created) => {
                    let origin = web_sys::window()
                        .and_then(|w| w.location().origin().ok())
                        .unwrap_or_default();
                    fresh.set(Some(format!("{origin}{}", created.path)));
                    load();
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    view! {
        <div class="share-panel" data-testid="share-panel">
            <div class="row wrap">
                <label class="field"><span>"Expires"</span>
                    <select prop:value=move || hours.get() on:change=move |ev| hours.set(event_target_value(&ev))>
                        <option value="24">"in a day"</option>
                        <option value="168">"in a week"</option>
                        <option value="720">"in 30 days"</option>
                        <option value="0">"never"</option>
                    </select>
                </label>
                <button class="button primary" data-testid="share-create" on:click=create>"Create read-only link"</button>
            </div>
            {move || fresh.get().map(|url| view! {
                <div class="secret" role="status">"Anyone with this link can watch this session (it is shown once): "
                    <a class="share-url" data-testid="share-url" href=url.clone() target="_blank" rel="noopener">{url.clone()}</a></div>
            })}
            <ul class="plain-list" data-testid="share-links">
                <For each=move || links.get() key=|l| l.id.clone() children=move |link| {
                    let session_id = id.get_value();
                    let link_id = link.id.clone();
                    let expiry = link.expires_at.map(|at| format!("expires {}", when(at))).unwrap_or_else(|| "never expires".into());
                    view! {
                        <li class="row">
                            <span>"Link by " {link.created_by.clone()}</span>
                            <span class="muted">{when(link.created_at)} " · " {expiry}</span>
                            <RevokeLink session_id=session_id link_id=link_id testid="share-revoke"
                                then=Callback::new(move |()| { fresh.set(None); load(); }) />
                        </li>
                    }
                } />
            </ul>
        </div>
    }
}

/// Revokes one share link, then `then` runs (the list around it reloads).
#[component]
pub fn RevokeLink(
    session_id: SessionId,
    link_id: String,
    testid: &'static str,
    then: Callback<()>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let target = StoredValue::new((session_id, link_id));
    view! {
        <button class="button small" data-testid=testid on:click=move |_| {
            leptos::task::spawn_local(async move {
                let (session_id, link_id) = target.get_value();
                state.report(sessions::revoke_share_link(&session_id, &link_id).await);
                then.run(());
            });
        }>"Revoke"</button>
    }
}
