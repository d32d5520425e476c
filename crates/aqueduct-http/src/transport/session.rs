//! A transport session: what the client and the consumer's task share.
//!
//! The consumer's task holds the session through its [`SessionIo`](super::io::SessionIo);
//! the requests of the client (polls, sends, an SSE stream) find it in the
//! [`Registry`] by its id. Everything they share sits behind one mutex,
//! held only to move items in and out, never across an await.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use aqueduct_core::{CloseCode, CloseFrame, Message};
use aqueduct_websocket::__private::TokenBucket;
use aqueduct_websocket::Rate;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::wire::{Item, Payload, message_size};

/// A session's id: 128 random bits as 32 lowercase hex digits, so that
/// knowing one session tells nothing of another.
pub(crate) fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `id` has the shape of a session id, before any lookup.
pub(crate) fn is_well_formed(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) struct Session {
    state: Mutex<State>,
    /// Wakes the client's receiving request: items queued, the session
    /// ended, or a newer request took over.
    pub(crate) to_client: Notify,
    /// Wakes a consumer waiting for room in the outbound queue.
    pub(crate) outbound_space: Notify,
    /// Wakes a send waiting for room in the inbound queue.
    pub(crate) inbound_space: Notify,
}

/// The bounds of one session's queues.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub(crate) max_queued: usize,
    pub(crate) max_queued_bytes: usize,
    pub(crate) max_inbound: usize,
}

pub(crate) struct State {
    /// What the server sent and the client has not acknowledged.
    pub(crate) items: VecDeque<Item>,
    pub(crate) queued_bytes: usize,
    /// The number the next item gets; the first is 1.
    pub(crate) next_seq: u64,
    /// Every item numbered up to this is gone: acknowledged by a poll, or
    /// written to an SSE stream, which has no acknowledgements.
    pub(crate) forgotten_through: u64,
    /// A close is queued for the client: nothing comes after it.
    pub(crate) close_queued: bool,

    /// Client messages the consumer has not taken yet.
    pub(crate) inbound: VecDeque<Message>,
    /// How many client messages arrived: the number of the last one.
    pub(crate) received: u64,
    /// The conversation is over from the client's side (its own close, or
    /// a limit it broke): the code the consumer's `disconnect` gets.
    pub(crate) client_close: Option<CloseCode>,
    /// The consumer's task is done with the session.
    pub(crate) ended: bool,

    /// Which receiving request is the current one; a newer one replaces it.
    pub(crate) receiver: u64,
    /// Whether a receiving request is waiting right now.
    pub(crate) receiving: bool,
    /// When the client was last seen receiving; a session unseen for the
    /// session timeout is abandoned.
    pub(crate) last_seen: Instant,

    /// The consumer's task, to wake when a message or a close arrives.
    pub(crate) waker: Option<Waker>,
    pub(crate) rate: Option<(Rate, TokenBucket)>,
    pub(crate) bounds: Bounds,
}

/// Why the outbound queue took nothing.
pub(crate) enum Full {
    /// No room now: wait for the client to poll.
    Wait,
    /// The session is over.
    Ended,
}

impl Session {
    pub(crate) fn new(rate: Option<Rate>, bounds: Bounds) -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                queued_bytes: 0,
                next_seq: 1,
                forgotten_through: 0,
                close_queued: false,
                inbound: VecDeque::new(),
                received: 0,
                client_close: None,
                ended: false,
                receiver: 0,
                receiving: false,
                last_seen: now,
                waker: None,
                rate: rate.map(|rate| (rate, TokenBucket::full(rate, now))),
                bounds,
            }),
            to_client: Notify::new(),
            outbound_space: Notify::new(),
            inbound_space: Notify::new(),
        }
    }

    /// Locks the state. A panic while it was held (none is expected: only
    /// queue moves happen under it) leaves the queues as they were.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// Queues a message for the client, if the bounds allow. An empty
    /// queue takes any one message, so a large one cannot stall for ever.
    pub(crate) fn push_message(&mut self, message: Message) -> Result<(), (Full, Message)> {
        if self.ended || self.close_queued || self.client_close.is_some() {
            return Err((Full::Ended, message));
        }
        let size = message_size(&message);
        let fits = self.items.len() < self.bounds.max_queued
            && self.queued_bytes + size <= self.bounds.max_queued_bytes;
        if !fits && !self.items.is_empty() {
            return Err((Full::Wait, message));
        }
        self.queued_bytes += size;
        self.items.push_back(Item {
            seq: self.next_seq,
            payload: Payload::Message(message),
        });
        self.next_seq += 1;
        Ok(())
    }

    /// Queues the close for the client, past the bounds: it is the last item.
    pub(crate) fn push_close(&mut self, frame: CloseFrame) {
        if self.close_queued {
            return;
        }
        self.close_queued = true;
        self.queued_bytes += frame.reason.len();
        self.items.push_back(Item {
            seq: self.next_seq,
            payload: Payload::Close(frame),
        });
        self.next_seq += 1;
    }

    /// Ends the conversation on the client's behalf with `frame`: the
    /// client gets it as its last item, the consumer sees its code.
    pub(crate) fn close_for_client(&mut self, frame: CloseFrame) {
        if self.client_close.is_none() {
            self.client_close = Some(frame.code);
        }
        self.push_close(frame);
        self.wake_consumer();
    }

    /// Forgets every item up to `ack`. Returns how many were forgotten.
    pub(crate) fn forget_through(&mut self, ack: u64) -> usize {
        let mut forgotten = 0;
        while self.items.front().is_some_and(|item| item.seq <= ack) {
            if let Some(item) = self.items.pop_front() {
                self.queued_bytes -= item.size().min(self.queued_bytes);
                forgotten += 1;
            }
        }
        self.forgotten_through = self.forgotten_through.max(ack);
        forgotten
    }

    /// The number of the last item sent, acknowledged or not.
    pub(crate) fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Counts one client message against the session's rate.
    pub(crate) fn over_rate(&mut self) -> Option<Rate> {
        let (rate, bucket) = self.rate.as_mut()?;
        (!bucket.try_take(*rate, Instant::now)).then_some(*rate)
    }

    pub(crate) fn wake_consumer(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Whether the session is over and nothing is left for the client.
    pub(crate) fn is_gone(&self) -> bool {
        (self.ended || self.client_close.is_some()) && !self.close_queued
            || self.close_queued && self.items.is_empty()
    }
}

/// Every open session of one [`Transports`](super::Transports), by id.
#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    last_sweep: Mutex<Option<Instant>>,
}

impl Registry {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.map().get(id).cloned()
    }

    /// Adds a session unless `max` are open already.
    pub(crate) fn insert(&self, id: String, session: Arc<Session>, max: usize) -> bool {
        let mut map = self.map();
        if map.len() >= max {
            return false;
        }
        map.insert(id, session);
        true
    }

    pub(crate) fn remove(&self, id: &str) {
        self.map().remove(id);
    }

    /// Drops sessions whose consumer is done and whose client has not come
    /// for the close within `timeout`. Live sessions expire in their own
    /// task; these have no task left. Runs at most once a second, so a
    /// busy server pays for it rarely.
    pub(crate) fn sweep(&self, timeout: Duration) {
        let now = Instant::now();
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if last.is_some_and(|last| now < last + Duration::from_secs(1)) {
                return;
            }
            *last = Some(now);
        }
        self.map().retain(|_, session| {
            let state = session.lock();
            !(state.ended && !state.receiving && now >= state.last_seen + timeout)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        max_queued: 2,
        max_queued_bytes: 10,
        max_inbound: 4,
    };

    #[test]
    fn ids_are_random_and_checked_for_shape() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(is_well_formed(&a) && is_well_formed(&b));
        for bad in ["", "abc", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_outbound_queue_is_bounded_in_items_and_bytes() {
        let session = Session::new(None, BOUNDS);
        let mut state = session.lock();
        assert!(state.push_message(Message::from("12345")).is_ok());
        assert!(matches!(
            state.push_message(Message::from("1234567")),
            Err((Full::Wait, _))
        ));
        assert!(state.push_message(Message::from("1234")).is_ok());
        assert!(matches!(
            state.push_message(Message::from("")),
            Err((Full::Wait, _))
        ));
        // The close goes past the bounds: it is always the last item.
        state.push_close(CloseFrame::new(CloseCode::NORMAL));
        assert_eq!(state.last_seq(), 3);
        assert!(matches!(
            state.push_message(Message::from("")),
            Err((Full::Ended, _))
        ));

        assert_eq!(state.forget_through(2), 2);
        assert_eq!(state.queued_bytes, 0);
        assert_eq!(state.forgotten_through, 2);
        assert!(!state.is_gone(), "the close is still to be fetched");
        state.forget_through(3);
        assert!(state.is_gone());
    }

    #[test]
    fn one_large_message_goes_through_an_empty_queue() {
        let session = Session::new(None, BOUNDS);
        let mut state = session.lock();
        assert!(
            state
                .push_message(Message::from("far more than ten bytes"))
                .is_ok()
        );
        assert!(matches!(
            state.push_message(Message::from("x")),
            Err((Full::Wait, _))
        ));
    }
}
