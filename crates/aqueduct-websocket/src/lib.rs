//! The WebSocket driver of aqueduct: RFC 6455 (and RFC 8441 over HTTP/2)
//! over whatever connection the host upgraded.
//!
//! Application authors will typically not use this crate directly. A host
//! (aqueduct's own server, or `ProtocolTypeRouter` as a tower `Service`
//! inside axum) hands a WebSocket handshake to a [`Driver`], which runs the
//! application on it through the one contract of `aqueduct-core`
//! (`WebsocketApp` and `WebsocketIo`): the `101` goes out only once
//! `connect` accepts, heartbeats and [`Limits`] hold, bad input gets the
//! close code RFC 6455 gives it, and a shutdown closes every socket with
//! 1001 and lets `disconnect` hooks run.
//!
//! When hyper served HTTP/1.1 straight on a `TcpStream`, the driver reads
//! and writes the bare socket; any other IO (TLS, an HTTP/2 stream) works
//! through hyper's `Upgraded`.

mod admission;
mod closing;
mod driver;
mod failure;
mod handshake;
mod io;
mod lean;
mod limits;
mod open;
mod per_ip;
mod rate;
mod shutdown;
mod stream;

pub use driver::Driver;
pub use handshake::is_websocket_request;
pub use limits::Limits;
pub use rate::Rate;

/// What aqueduct's own crates share: not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::rate::TokenBucket;
}
