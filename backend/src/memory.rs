//! Freed memory given back to the system. glibc keeps what a burst freed
//! (a thousand viewers leaving, a large replay) in its per-thread arenas,
//! so the server's resident size stayed at its peak long after; trimming
//! every few seconds returns it.

use std::time::Duration;

const EVERY: Duration = Duration::from_secs(5);

/// Runs until the task is dropped (with Tandem's shutdown).
pub async fn give_back_freed_memory() {
    loop {
        tokio::time::sleep(EVERY).await;
        trim();
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only releases free pages of the allocator's own
    // arenas; it takes no pointers of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
