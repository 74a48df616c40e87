//! What can be read with Tandem out of reach: the sessions this device
//! kept (`offline.rs`), each read-only and marked with when it was kept.
//! A session link (`#/sessions/…`) opens its kept copy directly.

use super::assistant::when;
use super::transcript::TranscriptList;
use crate::offline::{self, Kept, KeptEntry};
use leptos::prelude::*;
use tandem_shared::transcript::Transcript;
use tandem_shared::SessionId;

fn session_in_hash() -> Option<SessionId> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.strip_prefix("#/sessions/")
        .filter(|id| !id.is_empty())
        .map(|id| SessionId(id.to_owned()))
}

#[component]
pub fn OfflineShelf() -> impl IntoView {
    let entries = RwSignal::new(None::<Vec<KeptEntry>>);
    let reading = RwSignal::new(None::<Kept>);
    let transcript = RwSignal::new(Transcript::default());
    let open = move |kept: Kept| {
        let mut folded = Transcript::default();
        for event in &kept.events {
            folded.apply(event);
        }
        transcript.set(folded);
        reading.set(Some(kept));
    };
    leptos::task::spawn_local(async move {
        entries.set(Some(offline::index().await));
        if let Some(id) = session_in_hash() {
            if let Some(kept) = offline::load(&id).await {
                open(kept);
            }
        }
    });
    let pick = move |id: SessionId| {
        leptos::task::spawn_local(async move {
            if let Some(kept) = offline::load(&id).await {
                open(kept);
            }
        });
    };
    move || {
        match reading.get() {
        Some(kept) => view! {
            <section class="session-view" data-testid="offline-session">
                <header class="session-header">
                    <div>
                        <h1 data-testid="session-title">{kept.title.clone()}</h1>
                        <div class="readonly-note" data-testid="offline-note">
                            {format!("Kept on this device {}. Read-only: answering needs the network.", when(kept.saved_at as i64))}
                        </div>
                    </div>
                    <button class="button small" on:click=move |_| reading.set(None)>"Kept sessions"</button>
                </header>
                <TranscriptList transcript=transcript catching_up=RwSignal::new(false) />
            </section>
        }
        .into_any(),
        None => view! {
            <div class="card" data-testid="offline-shelf">
                <h2>"Read offline"</h2>
                {move || match entries.get() {
                    None => view! { <p class="muted">"Looking…"</p> }.into_any(),
                    Some(list) if list.is_empty() => view! {
                        <p class="muted">"Nothing kept on this device yet: sessions you open are kept here to read without a network."</p>
                    }.into_any(),
                    Some(list) => view! {
                        <ul class="plain-list">
                            {list.into_iter().map(|entry| {
                                let id = entry.session_id.clone();
                                view! {
                                    <li>
                                        <button class="link-button" data-testid="offline-entry" on:click=move |_| pick(id.clone())>
                                            {entry.title.clone()}
                                        </button>
                                        <span class="muted">{format!(" · kept {}", when(entry.saved_at as i64))}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </div>
        }
        .into_any(),
    }
    }
}
