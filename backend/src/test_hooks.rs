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

/// Names a file holding milliseconds to add to the clock: the tests move
/// Tandem's time (a month on) by writing it. Read only by the test build.
pub const CLOCK_SHIFT_ENV: &str = "TANDEM_TEST_CLOCK_SHIFT_FILE";

/// The system clock, shifted by what the file named in `CLOCK_SHIFT_ENV`
/// says (0 while it is missing or unreadable).
struct ShiftedClock {
    file: std::path::PathBuf,
}

impl crate::clock::Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        let shift = std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or(0);
        crate::clock::SystemClock.now_ms().saturating_add(shift)
    }
}

/// The seams a server runs with: the system's, or with the test build and
/// `CLOCK_SHIFT_ENV` set, a clock the tests can move.
pub fn seams() -> crate::clock::Seams {
    let mut seams = crate::clock::Seams::system();
    if enabled() {
        if let Some(file) = std::env::var_os(CLOCK_SHIFT_ENV) {
            seams.clock = std::sync::Arc::new(ShiftedClock { file: file.into() });
        }
    }
    seams
}
