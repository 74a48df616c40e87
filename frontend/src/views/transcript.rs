//! The transcript as it streams. Follows the live end while the reader is
//! at the bottom and stays put when they scroll up to read, with a "jump to
//! live" button. Only a window of entries is in the page (see
//! `tandem_shared::window`): older ones come in as the reader scrolls up.

use super::entry::EntryView;
use leptos::prelude::*;
use tandem_shared::transcript::Transcript;
use tandem_shared::window::Window;
use tandem_shared::Seq;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Within this many pixels of an edge counts as at it.
const EDGE: i32 = 120;

/// The first row at least partly in view, and its distance below the top
/// of the view (negative when it starts above it).
fn first_visible(list: &HtmlElement) -> Option<(HtmlElement, i32)> {
    let top = list.scroll_top();
    let rows = list.children();
    (0..rows.length())
        .filter_map(|i| {
            rows.item(i)
                .and_then(|row| row.dyn_into::<HtmlElement>().ok())
        })
        .find(|row| row.offset_top() + row.offset_height() > top)
        .map(|row| {
            let offset = row.offset_top() - top;
            (row, offset)
        })
}

#[component]
pub fn TranscriptList(
    transcript: RwSignal<Transcript>,
    /// Whether only the newest entries are in yet (see `follow.rs`).
    catching_up: RwSignal<bool>,
) -> impl IntoView {
    let list = NodeRef::<leptos::html::Ol>::new();
    let list_ref = list;
    let following = RwSignal::new(true);
    let window = RwSignal::new(Window::live());
    // The row the reader was looking at when the window moved, and how far
    // below the top of the view it was: put back, so their place holds.
    let anchor = StoredValue::new_local(None::<(HtmlElement, i32)>);
    // Where Tandem last put the view when following the end: a scroll
    // event at or below it is content growing (a code block rendered), not
    // the reader moving up.
    let auto_top = StoredValue::new(0i32);
    let stick = move |list: &HtmlElement| {
        list.set_scroll_top(list.scroll_height());
        auto_top.set_value(list.scroll_top());
    };
    let len = Memo::new(move |_| transcript.with(|t| t.entries.len()));
    let range = Memo::new(move |_| window.get().range(len.get()));

    Effect::new(move |_| {
        transcript.track();
        range.track();
        let Some(list) = list.get() else {
            return;
        };
        if len.get_untracked() > 0 {
            crate::marks::once_next_frame(crate::marks::FIRST_ROWS);
        }
        let held = anchor.try_update_value(Option::take).flatten();
        if let Some((row, offset)) = held.filter(|(row, _)| row.is_connected()) {
            list.set_scroll_top(row.offset_top() - offset);
        } else if following.get_untracked() {
            stick(&list);
            // Rows finish growing after this (markdown is built by their
            // own effects): stick to the end once more when they have.
            gloo_timers::callback::Timeout::new(0, move || {
                if following.get_untracked() {
                    if let Some(list) = list_ref.get_untracked() {
                        stick(&list);
                    }
                }
            })
            .forget();
        }
    });
    let on_scroll = move |_| {
        let Some(list) = list.get() else {
            return;
        };
        let from_bottom = list.scroll_height() - list.scroll_top() - list.client_height();
        let current = window.get_untracked();
        if following.get_untracked()
            && current.follows_live_end()
            && list.scroll_top() + 2 >= auto_top.get_value()
        {
            // Not the reader: the end moved away as rows grew. Follow it.
            if from_bottom > 0 {
                stick(&list);
            }
            return;
        }
        following.set(from_bottom < 40 && current.follows_live_end());
        if list.scroll_top() < EDGE && range.get_untracked().start > 0 {
            anchor.set_value(first_visible(&list));
            window.set(current.older(len.get_untracked()));
        } else if from_bottom < EDGE && !current.follows_live_end() {
            anchor.set_value(first_visible(&list));
            window.set(current.newer(len.get_untracked()));
        }
    };
    let jump_to_live = move |_| {
        window.set(Window::live());
        following.set(true);
        if let Some(list) = list.get() {
            stick(&list);
        }
    };
    view! {
        <div class="transcript-frame">
            <Show when=move || catching_up.get()>
                <div class="older-entries" data-testid="loading-earlier" role="status">"Loading earlier entries…"</div>
            </Show>
            <Show when=move || { !catching_up.get() && range.get().start > 0 }>
                <div class="older-entries" data-testid="older-entries">
                    {move || format!("{} earlier entries — scroll up for more", range.get().start)}
                </div>
            </Show>
            <ol class="transcript" data-testid="transcript" aria-live="polite" node_ref=list on:scroll=on_scroll>
                // Keyed by `seq` (and, for the tool card and approval card
                // one permission request makes, their order within it):
                // keys never change, and an entry that grows (streamed text,
                // a tool's status, a decision) re-renders alone via its memo.
                <For
                    each=move || {
                        let range = range.get();
                        transcript.with(|t| {
                            let shown = &t.entries[range.start.min(t.entries.len())..range.end.min(t.entries.len())];
                            let mut keys: Vec<(Seq, usize)> = Vec::with_capacity(shown.len());
                            for entry in shown {
                                let seq = entry.seq();
                                let nth = match keys.last() {
                                    Some((last, n)) if *last == seq => n + 1,
                                    _ => 0,
                                };
                                keys.push((seq, nth));
                            }
                            keys
                        })
                    }
                    key=|key| *key
                    children=move |(seq, nth)| {
                        let entry = Memo::new(move |_| {
                            transcript.with(|t| {
                                let first = t.entries.partition_point(|e| e.seq() < seq);
                                t.entries.get(first + nth).filter(|e| e.seq() == seq).cloned()
                            })
                        });
                        move || entry.get().map(|entry| view! { <EntryView entry=entry /> })
                    }
                />
            </ol>
            <Show when=move || !following.get()>
                <button class="button primary jump-live" data-testid="jump-live" on:click=jump_to_live>
                    "Jump to live ↓"
                </button>
            </Show>
        </div>
    }
}
