//! Load generator and no-framework baselines for measuring aqueduct.
//!
//! Six binaries share this library:
//!
//! - `bench-aqueduct`, the system under test: the echo and chat examples
//!   behind one [`UrlRouter`](aqueduct::UrlRouter) with an in-memory layer,
//!   or with `RedisChannelLayer` given `--redis URL`, over TLS given
//!   `--tls-cert` and `--tls-key`;
//! - `bench-aqueduct-axum`, the same application mounted in an
//!   `axum::Router` and served by `axum::serve`;
//! - `bench-raw-echo`, an echo server on tokio-tungstenite alone, over TLS
//!   with tokio-rustls in front given `--tls-cert` and `--tls-key`;
//! - `bench-raw-room`, a chat room server on hyper and hyper-tungstenite
//!   alone, the fair baseline for aqueduct's group fan-out;
//! - `bench-plain-room`, the same rooms written the plain way (a broadcast
//!   channel per room, tungstenite's defaults with a 4 KiB read buffer, JSON parsed per
//!   message), the room server a user would first write;
//! - `aqueduct-bench`, the load generator, whose `compare` subcommand runs
//!   every target of issues 3 and 8 against fresh servers.
//!
//! Build with `cargo build --release -p aqueduct-bench`, then run
//! `target/release/aqueduct-bench compare --quick` for a smoke run.
//!
//! Every server prints one line, `listening on HOST:PORT`, once it accepts
//! connections, and every run of the generator prints one line of JSON.

mod cli;
mod client;
mod compare;
mod error;
mod limits;
mod progress;
mod report;
mod rss;
mod scenario;
mod servers;
mod sockets;
mod stats;

pub mod raw;
pub mod serving;

pub use cli::{Cli, Command};
pub use compare::{CompareArgs, Target};
pub use error::Error;
pub use limits::raise_nofile_limit;
pub use scenario::{ChurnArgs, ConnectArgs, EchoArgs, FanoutArgs, IdleArgs, RedisRateArgs};
