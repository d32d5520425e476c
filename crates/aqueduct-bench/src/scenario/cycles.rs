//! Connect-and-close cycles, shared by `connect` and `churn`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::client::{self, Dialer};
use crate::progress::Progress;
use crate::stats::micros;

/// What a batch of cycles measured.
#[derive(Debug, Default)]
pub(super) struct Cycles {
    /// Handshakes that completed.
    pub(super) ok: u64,
    /// Handshakes that failed.
    pub(super) failures: u64,
    /// Close handshakes the server did not finish in time.
    pub(super) unclean_closes: u64,
    /// How long each completed handshake took.
    pub(super) latencies_us: Vec<u64>,
    /// From the first connect to the last close.
    pub(super) elapsed: Duration,
    /// What the first failure said.
    pub(super) first_error: Option<String>,
}

/// Opens and cleanly closes `count` connections to `url`, `concurrency` at
/// a time, reporting progress under `label`.
pub(super) async fn run_cycles(label: &str, url: &str, count: u64, concurrency: usize) -> Cycles {
    let progress = Progress::start(format!("{label}: cycles"), count);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (next, done, url) = (next.clone(), progress.counter(), url.to_owned());
            tokio::spawn(async move {
                let mut cycles = Cycles::default();
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    cycle(&url, &mut cycles).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                cycles
            })
        })
        .collect();
    let mut total = Cycles::default();
    for worker in workers {
        let cycles = worker.await.unwrap_or_default();
        total.ok += cycles.ok;
        total.failures += cycles.failures;
        total.unclean_closes += cycles.unclean_closes;
        total.latencies_us.extend(cycles.latencies_us);
        total.first_error = total.first_error.or(cycles.first_error);
    }
    total.elapsed = started.elapsed();
    total
}

async fn cycle(url: &str, cycles: &mut Cycles) {
    let started = Instant::now();
    match Dialer::PLAIN.connect(url).await {
        Ok(socket) => {
            cycles.latencies_us.push(micros(started.elapsed()));
            cycles.ok += 1;
            if !client::close(socket).await {
                cycles.unclean_closes += 1;
            }
        }
        Err(err) => {
            cycles.failures += 1;
            cycles.first_error.get_or_insert(err);
        }
    }
}
