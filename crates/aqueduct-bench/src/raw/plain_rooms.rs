//! The plain server's rooms: one `tokio::sync::broadcast` channel per room
//! in a map behind one mutex, as tokio's and axum's chat examples keep them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::broadcast;

/// How many messages a room's channel holds for its slowest member: the
/// bound aqueduct's in-memory layer puts on each channel, as the raw room
/// server's `MEMBER_CAPACITY` does. tokio rounds it up to a power of two,
/// so a room holds 128.
pub const ROOM_CAPACITY: usize = 100;

/// Every room of the plain server, each a broadcast channel of encoded
/// chat frames.
///
/// The map is touched only when a connection joins or leaves: a member
/// keeps its own clone of the room's sender and broadcasts without it.
///
/// ```
/// use aqueduct_bench::raw::BroadcastRooms;
///
/// let rooms = BroadcastRooms::default();
/// let (room, mut inbox) = rooms.join("lobby");
/// room.send(r#"{"message":"hi"}"#.to_owned()).unwrap();
/// assert_eq!(inbox.try_recv().unwrap(), r#"{"message":"hi"}"#);
/// assert_eq!(rooms.len(), 1);
/// rooms.leave("lobby", inbox);
/// assert_eq!(rooms.len(), 0);
/// ```
#[derive(Debug, Default)]
pub struct BroadcastRooms {
    rooms: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

impl BroadcastRooms {
    /// Joins `room`, making it if it is new: the room's sender, to
    /// broadcast with, and this member's receiver, which gets every frame
    /// sent to the room from now on.
    pub fn join(&self, room: &str) -> (broadcast::Sender<String>, broadcast::Receiver<String>) {
        let mut rooms = self.lock();
        let sender = rooms
            .entry(room.to_owned())
            .or_insert_with(|| broadcast::channel(ROOM_CAPACITY).0);
        (sender.clone(), sender.subscribe())
    }

    /// Leaves `room`, dropping the member's receiver, and removes the room
    /// once nobody receives from it.
    ///
    /// The receiver is dropped under the lock, so that a member joining at
    /// the same time either finds the room still there or makes a new one,
    /// never subscribes to a channel being thrown away.
    pub fn leave(&self, room: &str, receiver: broadcast::Receiver<String>) {
        let mut rooms = self.lock();
        drop(receiver);
        if rooms
            .get(room)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            rooms.remove(room);
        }
    }

    /// How many rooms have members.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no room has members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<String>>> {
        // No code panics while holding the map, so a poisoned one is still whole.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;

    #[test]
    fn a_room_lasts_until_its_last_member_leaves() {
        let rooms = BroadcastRooms::default();
        let (_, first) = rooms.join("r");
        let (room, second) = rooms.join("r");
        room.send("x".to_owned()).unwrap();
        rooms.leave("r", first);
        assert_eq!(rooms.len(), 1);
        rooms.leave("r", second);
        assert!(rooms.is_empty());
    }

    #[test]
    fn rooms_are_separate() {
        let rooms = BroadcastRooms::default();
        let (a, _a_inbox) = rooms.join("a");
        let (_, mut b_inbox) = rooms.join("b");
        a.send("x".to_owned()).unwrap();
        assert_eq!(b_inbox.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn a_member_that_falls_behind_skips_what_it_missed() {
        let rooms = BroadcastRooms::default();
        let (room, mut slow) = rooms.join("r");
        // tokio keeps the next power of two of the capacity asked for.
        for n in 0..=ROOM_CAPACITY.next_power_of_two() {
            room.send(n.to_string()).unwrap();
        }
        assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
        assert_eq!(slow.try_recv().unwrap(), "1");
    }
}
