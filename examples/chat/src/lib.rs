//! A chat server: the chat of the Django Channels tutorial, in Rust.
//!
//! [`app`] is the whole application on one process, [`app_with_layer`] the
//! same on any channel layer; `src/main.rs` serves it.

mod consumer;
mod pages;

use std::sync::Arc;

use aqueduct::prelude::*;

pub use consumer::{ChatConsumer, ChatEvent, ChatMessage};

/// The whole application, its rooms joined by an in-memory channel layer:
/// one process.
pub fn app() -> ProtocolTypeRouter {
    app_with_layer(InMemoryChannelLayer::new())
}

/// The whole application: pages over HTTP, the chat over WebSocket, and
/// `layer` joining the consumers of one room. With a `RedisChannelLayer`,
/// rooms span every process on the same Redis.
pub fn app_with_layer(layer: impl Into<Arc<dyn ChannelLayer>>) -> ProtocolTypeRouter {
    ProtocolTypeRouter::new()
        // Plain HTTP requests go to the pages, an axum Router.
        .http(pages::router())
        // WebSocket connections are routed by path to a consumer.
        .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
        // Consumers talk to each other through the channel layer.
        .with_channel_layer(layer)
}
