//! The baselines: the same services as aqueduct's examples with no framework.
//!
//! They use aqueduct's WebSocket settings and set `TCP_NODELAY` as aqueduct
//! does, so a difference in the figures is the framework's cost.

mod accept;
mod echo;
mod room;
mod rooms;

pub use echo::serve_echo;
pub use room::serve_rooms;
pub use rooms::{Member, Rooms};
