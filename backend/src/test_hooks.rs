//! Hooks that let the end-to-end tests reach paths no honest input reaches
//! (an actor that panics, or one held up as by a slow disk). Off unless the test build of the binary
//! (`tandem-under-test`) turns them on before it starts; the `tandem`
//! binary never does.

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// An agent notification that makes the session actor panic.
pub const PANIC_METHOD: &str = "_tandem/test/panic";

/// An agent notification that holds the session actor up for
/// `params.ms` milliseconds, as a slow store write would.
pub const STALL_METHOD: &str = "_tandem/test/stall";

/// How long a stall notification asks for (at most a minute).
pub fn stall(params: &serde_json::Value) -> std::time::Duration {
    let ms = params
        .get("ms")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    std::time::Duration::from_millis(ms.min(60_000))
}

/// An agent's last message holding this makes posting its session's
/// summary fail, as a store that refuses the write would.
pub const REPORT_FAILS_MARK: &str = "[tandem-test: the summary cannot be posted]";

pub fn report_fails(summary: &str) -> bool {
    enabled() && summary.contains(REPORT_FAILS_MARK)
}

pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}
