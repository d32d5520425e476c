//! One channel's queue: its messages, and the wake-ups of its reader.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::event::Event;

pub(super) struct Queue {
    capacity: usize,
    /// Taken by the channel's senders and its one reader, each for a push
    /// or a pop: a channel's reader is the only other party a send can
    /// meet here.
    messages: Mutex<VecDeque<(Instant, Event)>>,
    /// Wakes `receive` calls.
    pub(super) notify: Notify,
    /// Wakes the channel's `receiver` stream.
    pub(super) reader: AtomicWaker,
    /// Set, under the `messages` lock, once `flush` or `close_channel` took
    /// the queue out of the layer: a receive still waiting on it must move
    /// to the channel's new queue, or it would never see another message.
    retired: AtomicBool,
}

/// What happened when a message was offered to a queue.
pub(super) enum Push {
    Queued,
    Full,
}

/// What a receiver found in a queue.
pub(super) enum Pop {
    Event(Event),
    Empty,
    Retired,
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            messages: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
            reader: AtomicWaker::new(),
            retired: AtomicBool::new(false),
        }
    }

    /// Drops messages older than `expiry`; returns whether any were dropped.
    fn prune(messages: &mut VecDeque<(Instant, Event)>, now: Instant, expiry: Duration) -> bool {
        let before = messages.len();
        while messages
            .front()
            .is_some_and(|(sent, _)| now - *sent >= expiry)
        {
            messages.pop_front();
        }
        messages.len() != before
    }

    pub(super) fn push(&self, event: Event, now: Instant, expiry: Duration) -> (Push, bool) {
        let mut messages = lock(&self.messages);
        let expired = Self::prune(&mut messages, now, expiry);
        if messages.len() >= self.capacity {
            return (Push::Full, expired);
        }
        messages.push_back((now, event));
        drop(messages);
        self.notify.notify_one();
        self.reader.wake();
        (Push::Queued, expired)
    }

    pub(super) fn pop(&self, expiry: Duration) -> (Pop, bool) {
        let mut messages = lock(&self.messages);
        if self.retired.load(Ordering::Relaxed) {
            return (Pop::Retired, false);
        }
        // An empty queue has nothing to expire: no need to read the clock,
        // which the run loop would otherwise do on every wake-up.
        if messages.is_empty() {
            return (Pop::Empty, false);
        }
        let expired = Self::prune(&mut messages, Instant::now(), expiry);
        let pop = match messages.pop_front() {
            Some((_, event)) => Pop::Event(event),
            None => Pop::Empty,
        };
        (pop, expired)
    }

    /// For the sweep: drops expired messages; returns whether any were
    /// dropped, and whether any are left.
    pub(super) fn sweep(&self, now: Instant, expiry: Duration) -> (bool, bool) {
        let mut messages = lock(&self.messages);
        let expired = Self::prune(&mut messages, now, expiry);
        (expired, !messages.is_empty())
    }

    /// Drops the messages of a queue the layer no longer holds and wakes
    /// its receiver, which then looks the channel up again.
    pub(super) fn retire(&self) {
        let mut messages = lock(&self.messages);
        self.retired.store(true, Ordering::Relaxed);
        messages.clear();
        drop(messages);
        self.notify.notify_waiters();
        self.reader.wake();
    }
}

/// A poisoned lock only means another thread panicked mid-operation; the
/// maps stay structurally valid, so keep serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
