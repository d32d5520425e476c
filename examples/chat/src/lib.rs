//! The chat of the Django Channels tutorial, in Rust.
//!
//! Run with `cargo run -p example-chat`, then open <http://127.0.0.1:8000/chat/>.

mod consumer;
mod pages;

use aqueduct::prelude::*;

pub use consumer::ChatConsumer;

/// The whole application: pages over HTTP, the chat over WebSocket, and an
/// in-memory channel layer joining the consumers of one room.
pub fn app() -> ProtocolTypeRouter {
    ProtocolTypeRouter::new()
        .http(pages::router())
        .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
        .channel_layer(InMemoryChannelLayer::new())
}
