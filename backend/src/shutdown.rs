//! Shutdown as a type (after mini-redis's `shutdown.rs`): one signal that
//! Tandem is stopping, and a tracker of the tasks that must finish before
//! the process exits — session actors, the wake dispatcher, the routine
//! scheduler. `serve` begins it on SIGTERM or Ctrl-C, then waits a bounded
//! time for every tracked task.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::{
    CancellationToken, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tasks: TaskTracker,
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Tells every task that Tandem is stopping.
    pub fn begin(&self) {
        self.token.cancel();
    }

    pub fn has_begun(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once shutdown has begun.
    pub fn begun(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// Completes once shutdown has begun, borrowing nothing.
    pub fn begun_owned(&self) -> WaitForCancellationFutureOwned {
        self.token.clone().cancelled_owned()
    }

    /// Spawns a task that shutdown waits for.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn(task)
    }

    /// Waits until every tracked task has finished, or `within` passed.
    /// Returns whether they all finished.
    pub async fn finished(&self, within: Duration) -> bool {
        self.tasks.close();
        tokio::time::timeout(within, self.tasks.wait())
            .await
            .is_ok()
    }

    /// How many tracked tasks are still running.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }
}
