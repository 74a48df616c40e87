//! Named moments of the page's start (`performance.mark`), read by the
//! benchmark to say where a first paint's time went: the WASM running,
//! the login known, the socket open, the first events in.

pub const STARTED: &str = "tandem:started";
pub const SIGNED_IN: &str = "tandem:signed-in";
pub const SOCKET_OPEN: &str = "tandem:socket-open";
pub const FIRST_EVENTS: &str = "tandem:first-events";
/// The start of the frame that first draws transcript rows: the same
/// moment the benchmark looks for, seen from inside the page instead of
/// from a script injected after the page's load.
pub const FIRST_ROWS: &str = "tandem:first-rows";

/// Marks `name` at the start of the next frame, unless it is marked
/// already.
pub fn once_next_frame(name: &'static str) {
    if marked(name) {
        return;
    }
    leptos::prelude::request_animation_frame(move || once(name));
}

fn marked(name: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.performance())
        .is_some_and(|p| p.get_entries_by_name(name).length() > 0)
}

/// Marks `name` now; only its first time counts, so a reconnect or a
/// second session does not move it.
pub fn once(name: &str) {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    if performance.get_entries_by_name(name).length() == 0 {
        let _ = performance.mark(name);
    }
}
