//! Hooks that let the end-to-end tests reach paths no honest input reaches
//! (an actor that panics). Off unless the test build of the binary
//! (`tandem-under-test`) turns them on before it starts; the `tandem`
//! binary never does.

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// An agent notification that makes the session actor panic.
pub const PANIC_METHOD: &str = "_tandem/test/panic";

pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}
