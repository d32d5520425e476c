//! The waker the run loop polls its layer events with.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Wake, Waker};

use futures_util::task::AtomicWaker;

/// Wakes the connection's task for a layer event only while the run loop
/// is parked waiting for one.
///
/// The layer wakes a channel's reader on every send to it, and the commonest
/// send reaches the sender's own channel: a chat message goes to the room
/// group, which holds the sender. That send runs inside the consumer's
/// `receive` hook, so the wake-up found the task running. tokio then polls
/// the task once more for nothing, and on the multi-threaded runtime it
/// queues that poll where an idle worker is woken to steal it, so the
/// connection hopped between workers on every message. Measured on the
/// chat route as echo (64 connections, two workers): p99 fell from about
/// 5 ms to 3 ms when those wake-ups were dropped, and with one worker,
/// where no other worker is woken, the two gave the same p99.
///
/// Dropping them is sound because the run loop polls the event stream
/// again every time it goes back to waiting, before it can sleep: a wake
/// that comes while it is not parked has nothing to wake.
#[derive(Debug, Default)]
pub(super) struct ParkedWaker {
    /// Set while the run loop waits for the next message or event.
    parked: AtomicBool,
    /// The task's own waker, as last registered.
    task: AtomicWaker,
}

impl ParkedWaker {
    /// Makes the waker to poll the event stream with.
    pub(super) fn new() -> (Arc<Self>, Waker) {
        let parked = Arc::new(Self::default());
        let waker = Waker::from(parked.clone());
        (parked, waker)
    }

    /// The run loop is about to poll the event stream and, if nothing is
    /// ready, sleep: wake-ups count from here on. Called before the stream
    /// is polled, so a send between its look and its sleep still wakes it.
    pub(super) fn park(&self, task: &Waker) {
        self.task.register(task);
        self.parked.store(true, Ordering::SeqCst);
    }

    /// The run loop has something to hand the consumer, and will poll the
    /// stream again before it waits.
    pub(super) fn unpark(&self) {
        self.parked.store(false, Ordering::SeqCst);
    }
}

impl Wake for ParkedWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.parked.load(Ordering::SeqCst) {
            self.task.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_the_task_only_while_parked() {
        let count = Arc::new(Count::default());
        let task = Waker::from(count.clone());
        let (parked, waker) = ParkedWaker::new();

        parked.park(&task);
        waker.wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "parked: woken");

        parked.unpark();
        waker.wake_by_ref();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "busy: the loop polls again anyway"
        );

        parked.park(&task);
        waker.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "parked again: woken");
    }
}
