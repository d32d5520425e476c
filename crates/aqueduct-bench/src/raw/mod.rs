//! The baselines: the same services as aqueduct's examples with no framework.
//!
//! The echo and raw room servers use aqueduct's WebSocket settings and set
//! `TCP_NODELAY` as aqueduct does, so a difference in the figures is the
//! framework's cost. The plain room server is the room server a user would
//! write without taking that care: tungstenite's default settings (but a 4 KiB read buffer), a
//! broadcast channel per room, JSON parsed and encoded per message.

mod accept;
mod echo;
mod http;
mod plain_room;
mod plain_rooms;
mod room;
mod rooms;

pub use echo::{serve_echo, serve_echo_tls};
pub use plain_room::serve_plain_rooms;
pub use plain_rooms::{BroadcastRooms, ROOM_CAPACITY};
pub use room::serve_rooms;
pub use rooms::{Member, Rooms};
