//! A chat server: the chat of the Django Channels tutorial, in Rust.
//!
//! [`app`] is the whole application; `src/main.rs` serves it.

mod consumer;
mod pages;

use aqueduct::prelude::*;

pub use consumer::ChatConsumer;

/// The whole application: pages over HTTP, the chat over WebSocket, and an
/// in-memory channel layer joining the consumers of one room.
pub fn app() -> ProtocolTypeRouter {
    ProtocolTypeRouter::new()
        // Plain HTTP requests go to the pages, an axum Router.
        .http(pages::router())
        // WebSocket connections are routed by path to a consumer.
        .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
        // Consumers talk to each other through the channel layer.
        .channel_layer(InMemoryChannelLayer::new())
}
