//! The WebSocket driver: the server's implementation of `WebsocketIo`.

mod failure;
mod handshake;
mod io;
mod lean;

pub(crate) use handshake::switching_protocols;
pub(crate) use io::ServerIo;
