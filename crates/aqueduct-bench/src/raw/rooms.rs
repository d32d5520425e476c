//! Chat rooms without a channel layer: a sharded map from room name to
//! members, each member a bounded queue into its connection's task.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Shards keep a busy room from serializing joins and sends to every other
/// room; 16 is what aqueduct's in-memory layer uses.
const SHARDS: usize = 16;

/// How many undelivered messages a member may have, as aqueduct's in-memory
/// layer allows per channel.
pub const MEMBER_CAPACITY: usize = 100;

/// The sending half of a member's queue.
pub type Member = mpsc::Sender<Message>;

type Room = HashMap<u64, Member>;

/// Every room of one server.
///
/// ```
/// use aqueduct_bench::raw::Rooms;
/// use tokio_tungstenite::tungstenite::Message;
///
/// let rooms = Rooms::default();
/// let (member, mut inbox) = tokio::sync::mpsc::channel(100);
/// let id = rooms.join("lobby", member);
/// assert_eq!(rooms.broadcast("lobby", &Message::text("hi")), 1);
/// assert_eq!(inbox.try_recv().unwrap(), Message::text("hi"));
/// rooms.leave("lobby", id);
/// assert_eq!(rooms.broadcast("lobby", &Message::text("hi")), 0);
/// ```
#[derive(Default)]
pub struct Rooms {
    hasher: RandomState,
    shards: [Mutex<HashMap<String, Room>>; SHARDS],
    next_id: AtomicU64,
}

impl Rooms {
    /// Adds `member` to `room` and returns its id, for [`leave`](Self::leave).
    pub fn join(&self, room: &str, member: Member) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.shard(room)
            .entry(room.to_owned())
            .or_default()
            .insert(id, member);
        id
    }

    /// Removes member `id` from `room`, and the room once it is empty.
    pub fn leave(&self, room: &str, id: u64) {
        let mut shard = self.shard(room);
        if let Some(members) = shard.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                shard.remove(room);
            }
        }
    }

    /// Queues a clone of `message` for every member of `room` and returns
    /// how many took it.
    ///
    /// A message is a reference-counted buffer, so each clone is cheap and
    /// nothing is encoded twice. A member whose queue is full is skipped, as
    /// aqueduct's `group_send` skips a full channel: one slow reader never
    /// holds up the room. `try_send` never waits, so holding the shard's
    /// lock across the loop is short.
    pub fn broadcast(&self, room: &str, message: &Message) -> usize {
        let shard = self.shard(room);
        let Some(members) = shard.get(room) else {
            return 0;
        };
        members
            .values()
            .filter(|member| member.try_send(message.clone()).is_ok())
            .count()
    }

    fn shard(&self, room: &str) -> MutexGuard<'_, HashMap<String, Room>> {
        lock(&self.shards[self.hasher.hash_one(room) as usize % SHARDS])
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code panics while holding a shard, so a poisoned one is still whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl fmt::Debug for Rooms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rooms: usize = (0..SHARDS)
            .map(|index| lock(&self.shards[index]).len())
            .sum();
        f.debug_struct("Rooms")
            .field("rooms", &rooms)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_member_is_skipped_and_the_others_still_get_the_message() {
        let rooms = Rooms::default();
        let (slow, _slow_inbox) = mpsc::channel(1);
        let (fast, mut fast_inbox) = mpsc::channel(MEMBER_CAPACITY);
        rooms.join("r", slow);
        rooms.join("r", fast);
        assert_eq!(rooms.broadcast("r", &Message::text("1")), 2);
        assert_eq!(rooms.broadcast("r", &Message::text("2")), 1);
        assert_eq!(fast_inbox.try_recv().unwrap(), Message::text("1"));
        assert_eq!(fast_inbox.try_recv().unwrap(), Message::text("2"));
    }

    #[test]
    fn rooms_are_separate() {
        let rooms = Rooms::default();
        let (a, mut a_inbox) = mpsc::channel(MEMBER_CAPACITY);
        rooms.join("a", a);
        assert_eq!(rooms.broadcast("b", &Message::text("x")), 0);
        assert!(a_inbox.try_recv().is_err());
    }
}
