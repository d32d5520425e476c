//! The WebSocket driver: the server's implementation of `WebsocketIo`.

mod failure;
mod io;

pub(crate) use io::ServerIo;
