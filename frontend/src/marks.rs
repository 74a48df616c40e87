//! Named moments of the page's start (`performance.mark`), read by the
//! benchmark to say where a first paint's time went: the WASM running,
//! the login known, the socket open, the first events in.

pub const STARTED: &str = "tandem:started";
pub const SIGNED_IN: &str = "tandem:signed-in";
pub const SOCKET_OPEN: &str = "tandem:socket-open";
pub const FIRST_EVENTS: &str = "tandem:first-events";

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
