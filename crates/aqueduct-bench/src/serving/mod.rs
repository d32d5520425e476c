//! What the servers under test share: their command line, their
//! WebSocket settings, their ready line, their process setup and TLS.

mod app;
mod args;
mod config;
mod ready;
mod setup;
mod tls;

pub use app::aqueduct_under_test;
pub use args::{AqueductArgs, RawEchoArgs, ServerArgs, TlsArgs};
pub use config::{aqueduct_limits, websocket_config};
pub use ready::{announce, parse_ready_line};
pub use setup::{init_logging, serve_baseline, terminated};
pub(crate) use tls::HTTP_1_1;
pub use tls::tls_server_config;
