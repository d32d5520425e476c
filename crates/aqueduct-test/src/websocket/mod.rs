//! Testing WebSocket applications: the communicator, its in-memory driver,
//! and what a test observes.

mod communicator;
mod io;
mod lifecycle;
mod outcome;
mod receive;
mod task;

pub use communicator::WebsocketCommunicator;
pub use outcome::{Connected, Output};
