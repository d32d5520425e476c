//! The runtime each check of the suite runs on.

use std::future::Future;

/// Which clock the checks of a layer run on.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// tokio's paused clock: time moves only when every task waits, so a
    /// 2 s expiry costs nothing. Only for layers that do no I/O.
    Paused,
    /// The wall clock, for layers that talk to a server.
    Real,
}

/// How many threads a check needs.
#[derive(Clone, Copy, Debug)]
pub enum Threads {
    /// The check is about order and time: one thread, on the layer's clock.
    One,
    /// The check races tasks against each other: two worker threads, so
    /// the race is real, on the wall clock.
    Two,
}

/// Runs `check` on a runtime built for `clock` and `threads`, unless
/// `available` says the layer's service is missing.
pub fn run(
    clock: Clock,
    threads: Threads,
    available: fn() -> bool,
    check: impl Future<Output = ()>,
) {
    if !available() {
        return;
    }
    let mut builder = match (clock, threads) {
        (Clock::Paused, Threads::One) => {
            let mut builder = tokio::runtime::Builder::new_current_thread();
            builder.start_paused(true);
            builder
        }
        // A layer with a server spawns tasks of its own (readers, pops):
        // give them threads, as a server would.
        (Clock::Real, _) | (_, Threads::Two) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
    };
    builder
        .enable_all()
        .build()
        .expect("build a tokio runtime for the check")
        .block_on(check);
}
