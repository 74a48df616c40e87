//! The message box used wherever a person writes: Enter sends, Shift+Enter
//! starts a new line.

use leptos::prelude::*;

#[component]
pub fn Composer(
    draft: RwSignal<String>,
    on_send: impl Fn() + Copy + Send + Sync + 'static,
    placeholder: &'static str,
    testid: &'static str,
    button_testid: &'static str,
) -> impl IntoView {
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); on_send(); }>
            <textarea data-testid=testid rows="2" aria-label="Message" placeholder=placeholder
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        on_send();
                    }
                }></textarea>
            <button class="button primary" type="submit" data-testid=button_testid>"Send"</button>
        </form>
    }
}
