//! One channel's queue: its messages, what its reader missed, and the
//! wake-ups of its reader and of senders waiting for room.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    state: Mutex<State>,
    /// Wakes `receive` calls.
    pub(super) notify: Notify,
    /// Wakes the channel's `receiver` stream.
    pub(super) reader: AtomicWaker,
    /// Wakes senders waiting for room (`Overflow::Wait`).
    room: Notify,
    /// How many senders wait for room: a pop tells them only if there are
    /// any, so that reading costs no lock of `room`'s otherwise.
    senders_waiting: AtomicUsize,
    /// Set, under the `state` lock, once `flush` or `close_channel` took
    /// the queue out of the layer: a receive still waiting on it must move
    /// to the channel's new queue, or it would never see another message.
    retired: AtomicBool,
}

struct State {
    messages: VecDeque<(Instant, Event)>,
    /// What the reader missed and has not yet been told of.
    missed: Option<Missed>,
}

/// Messages a full queue could not take under `Overflow::Close`.
///
/// While the reader has not been told, nothing more is stored: every
/// later message is counted here instead, so that what the reader is told
/// marks one gap of exactly this many messages in what it receives.
struct Missed {
    count: u64,
    /// When the last one was missed. The report expires as a message
    /// would: a reader that comes back after that would have lost every
    /// one of them to expiry anyway.
    last: Instant,
}

/// What a full queue does with a message it has no room for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WhenFull {
    /// Refuse it, and let the sender decide (`send`, `Overflow::Drop`,
    /// and `Overflow::Wait` before its timeout).
    Refuse,
    /// Count it as missed, and tell the reader (`Overflow::Close`).
    Report,
}

/// What happened when a message was offered to a queue.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Push {
    Queued,
    /// Full: refused, and nobody told.
    Full,
    /// Counted as missed: the reader will be told.
    Missed,
    /// `flush` or `close_channel` took the queue out of the layer: look
    /// the channel up again.
    Retired,
}

/// What a receiver found in a queue.
#[derive(Debug)]
pub(super) enum Pop {
    Event(Event),
    /// The reader missed this many messages.
    Missed(u64),
    Empty,
    Retired,
}

impl State {
    /// Drops messages older than `expiry`, and a report of misses as old;
    /// returns whether anything was dropped.
    fn prune(&mut self, now: Instant, expiry: Duration) -> bool {
        let before = self.messages.len();
        while self
            .messages
            .front()
            .is_some_and(|(sent, _)| now - *sent >= expiry)
        {
            self.messages.pop_front();
        }
        let stale = self
            .missed
            .as_ref()
            .is_some_and(|missed| now - missed.last >= expiry);
        if stale {
            self.missed = None;
        }
        stale || self.messages.len() != before
    }
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::new(State {
                messages: VecDeque::new(),
                missed: None,
            }),
            notify: Notify::new(),
            reader: AtomicWaker::new(),
            room: Notify::new(),
            senders_waiting: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
        }
    }

    /// Offers `event`; also returns whether any message expired meanwhile.
    pub(super) fn push(
        &self,
        event: &Event,
        now: Instant,
        expiry: Duration,
        when_full: WhenFull,
    ) -> (Push, bool) {
        let mut state = lock(&self.state);
        if self.retired.load(Ordering::Relaxed) {
            return (Push::Retired, false);
        }
        let expired = state.prune(now, expiry);
        if let Some(missed) = &mut state.missed {
            missed.count += 1;
            missed.last = now;
            return (Push::Missed, expired);
        }
        if state.messages.len() < self.capacity {
            state.messages.push_back((now, event.clone()));
        } else if when_full == WhenFull::Report {
            // What is queued goes too: the reader hears of the miss first,
            // rather than read a channel's worth of stale messages before.
            let count = state.messages.len() as u64 + 1;
            state.messages = VecDeque::new();
            state.missed = Some(Missed { count, last: now });
        } else {
            return (Push::Full, expired);
        }
        let queued = state.missed.is_none();
        drop(state);
        self.notify.notify_one();
        self.reader.wake();
        let push = if queued { Push::Queued } else { Push::Missed };
        (push, expired)
    }

    /// Takes what the reader should see next: a report of misses before
    /// any message. Also returns whether any message expired meanwhile.
    pub(super) fn pop(&self, expiry: Duration) -> (Pop, bool) {
        let mut state = lock(&self.state);
        if self.retired.load(Ordering::Relaxed) {
            return (Pop::Retired, false);
        }
        // An empty queue has nothing to expire: no need to read the clock,
        // which the run loop would otherwise do on every wake-up.
        if state.messages.is_empty() && state.missed.is_none() {
            return (Pop::Empty, false);
        }
        let expired = state.prune(Instant::now(), expiry);
        let pop = match state.missed.take() {
            Some(missed) => Pop::Missed(missed.count),
            None => match state.messages.pop_front() {
                Some((_, event)) => Pop::Event(event),
                None => Pop::Empty,
            },
        };
        drop(state);
        if !matches!(pop, Pop::Empty) && self.senders_waiting.load(Ordering::SeqCst) > 0 {
            self.room.notify_waiters();
        }
        (pop, expired)
    }

    /// Registers a sender that is about to look for room and, finding
    /// none, wait for it: a pop after the look wakes it. Dropping the
    /// guard ends the wait.
    ///
    /// A pop that comes after the sender's look takes the lock after it,
    /// so it sees the count this raised (before the look) and wakes the
    /// `Notified` the sender enabled (before the look too).
    pub(super) fn wait_for_room(&self) -> RoomWait<'_> {
        self.senders_waiting.fetch_add(1, Ordering::SeqCst);
        let notified = self.room.notified();
        RoomWait {
            queue: self,
            notified: Box::pin(notified),
        }
    }

    /// For the sweep: drops expired messages; returns whether any were
    /// dropped, and whether the queue still holds anything for a reader.
    pub(super) fn sweep(&self, now: Instant, expiry: Duration) -> (bool, bool) {
        let mut state = lock(&self.state);
        let expired = state.prune(now, expiry);
        (
            expired,
            !state.messages.is_empty() || state.missed.is_some(),
        )
    }

    /// Drops the messages of a queue the layer no longer holds and wakes
    /// its receiver, which then looks the channel up again, and any
    /// sender waiting for room, which does the same.
    pub(super) fn retire(&self) {
        let mut state = lock(&self.state);
        self.retired.store(true, Ordering::Relaxed);
        state.messages.clear();
        state.missed = None;
        drop(state);
        self.notify.notify_waiters();
        self.reader.wake();
        self.room.notify_waiters();
    }
}

/// A sender's wait for room in one queue (see [`Queue::wait_for_room`]).
pub(super) struct RoomWait<'a> {
    queue: &'a Queue,
    notified: std::pin::Pin<Box<tokio::sync::futures::Notified<'a>>>,
}

impl RoomWait<'_> {
    /// Arms the wake-up; call before looking for room.
    pub(super) fn enable(&mut self) {
        self.notified.as_mut().enable();
    }

    /// Waits until a pop may have made room, or `deadline`; returns
    /// false at the deadline.
    pub(super) async fn until(mut self, deadline: Instant) -> bool {
        tokio::time::timeout_at(deadline, self.notified.as_mut())
            .await
            .is_ok()
    }
}

impl Drop for RoomWait<'_> {
    fn drop(&mut self) {
        self.queue.senders_waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A poisoned lock only means another thread panicked mid-operation; the
/// maps stay structurally valid, so keep serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
