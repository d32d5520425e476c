//! The WebSocket driver: the server's implementation of `WebsocketIo`.

mod closing;
mod failure;
mod handshake;
mod io;
mod lean;
mod open;

pub(crate) use handshake::switching_protocols;
pub(crate) use io::ServerIo;
