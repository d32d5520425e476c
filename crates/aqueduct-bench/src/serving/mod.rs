//! What the servers under test share: their command line, their
//! WebSocket settings, their ready line and their process setup.

mod app;
mod args;
mod config;
mod ready;
mod setup;

pub use app::aqueduct_under_test;
pub use args::{AqueductArgs, ServerArgs};
pub use config::websocket_config;
pub use ready::{announce, parse_ready_line};
pub use setup::{init_logging, serve_baseline, terminated};
