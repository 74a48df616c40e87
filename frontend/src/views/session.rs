//! One session: header, the live transcript, and the composer.

use super::composer::Composer;
use super::entry::EntryView;
use crate::api;
use crate::app::AppState;
use leptos::prelude::*;
use tandem_shared::api::{SendMessage, SendMessageResult};
use tandem_shared::transcript::Entry;
use tandem_shared::SessionId;

/// Changes whenever an entry's rendering would: keyed lists re-render only
/// the entries that changed.
fn fingerprint(entry: &Entry) -> usize {
    match entry {
        Entry::Agent { text, .. } | Entry::Thought { text, .. } => text.len(),
        Entry::Tool { call, .. } => {
            call.status as usize * 1_000_003
                + call.content.len() * 7919
                + format!("{:?}", call.content).len()
        }
        Entry::Plan { entries, .. } => format!("{entries:?}").len(),
        Entry::Approval { decision, .. } => usize::from(decision.is_some()),
        _ => 0,
    }
}

#[component]
pub fn SessionView(id: SessionId) -> impl IntoView {
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
            .transcript
            .with(|t| t.status)
            .or_else(|| summary.get().map(|s| s.status))
    });
    let title = move || {
        state
            .transcript
            .with(|t| t.title.clone())
            .or_else(|| summary.get().map(|s| s.title))
            .unwrap_or_else(|| "Session".into())
    };
    let stop = move |_| {
        let path = id.with_value(|id| format!("/api/sessions/{id}/stop"));
        leptos::task::spawn_local(async move {
            let result = api::post::<_, serde_json::Value>(&path, &serde_json::Map::new()).await;
            // 202 has an empty body: only a real error is worth showing.
            if let Err(message) = result {
                if !message.contains("EOF") {
                    state.report(Err(message));
                }
            }
        });
    };
    // Follow the live end while the reader is at the bottom; stay put
    // when they scrolled up to read.
    let list = NodeRef::<leptos::html::Ol>::new();
    let following = RwSignal::new(true);
    Effect::new(move |_| {
        state.transcript.track();
        if following.get_untracked() {
            if let Some(list) = list.get() {
                list.set_scroll_top(list.scroll_height());
            }
        }
    });
    let on_scroll = move |_| {
        if let Some(list) = list.get() {
            let from_bottom = list.scroll_height() - list.scroll_top() - list.client_height();
            following.set(from_bottom < 40);
        }
    };
    let draft = RwSignal::new(String::new());
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        let path = id.with_value(|id| format!("/api/sessions/{id}/messages"));
        leptos::task::spawn_local(async move {
            match api::post::<_, SendMessageResult>(&path, &SendMessage { text }).await {
                Ok(_) => draft.set(String::new()),
                Err(message) => state.error.set(Some(message)),
            }
        });
    };

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
                </div>
                <Show when=move || status.get().is_some_and(|s| s.is_live())>
                    <button class="button danger" data-testid="stop" on:click=stop>"Stop"</button>
                </Show>
            </header>
            <ol class="transcript" data-testid="transcript" aria-live="polite" node_ref=list on:scroll=on_scroll>
                <For
                    each=move || state.transcript.with(|t| t.entries.iter().map(|e| (e.seq(), fingerprint(e), e.clone())).collect::<Vec<_>>())
                    key=|(seq, print, _)| (*seq, *print)
                    children=move |(_, _, entry)| view! { <EntryView entry=entry /> }
                />
            </ol>
            <Composer draft=draft on_send=send placeholder="Send a follow-up (Enter sends, Shift+Enter for a new line)" testid="composer" button_testid="send" />
        </section>
    }
}
