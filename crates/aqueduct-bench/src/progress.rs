//! Progress lines on stderr while a long step runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

/// Prints `label: done/total` to stderr once a second while alive, when the
/// count has moved. Dropping it stops the printing.
#[derive(Debug)]
pub(crate) struct Progress {
    done: Arc<AtomicU64>,
    printer: JoinHandle<()>,
}

impl Progress {
    pub(crate) fn start(label: impl Into<String>, total: u64) -> Self {
        let label = label.into();
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let printer = tokio::spawn(async move {
            let mut last = 0;
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let now = counter.load(Ordering::Relaxed);
                if now != last {
                    eprintln!("{label}: {now}/{total}");
                    last = now;
                }
            }
        });
        Self { done, printer }
    }

    /// Counts one more step done.
    pub(crate) fn step(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// A handle for another task to count steps with.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.printer.abort();
    }
}
