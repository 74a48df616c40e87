//! Line icons (24 × 24, stroked with the text colour): the system's emoji
//! font is not everywhere, and an SVG path costs a few bytes.

use leptos::prelude::*;

pub const CHAT: &str = "M4 5h16v11H9l-5 4z";
pub const SESSIONS: &str = "M4 6h16M4 12h16M4 18h10";
pub const TASKS: &str = "M4 4h16v16H4zM8 12l3 3 5-6";
pub const APPROVALS: &str = "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM8.5 12l2.5 2.5 4.5-5";

#[component]
pub fn Icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">
            <path d=path />
        </svg>
    }
}
