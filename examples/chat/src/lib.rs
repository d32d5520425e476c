//! A chat server: the chat of the Django Channels tutorial, in Rust.
//!
//! [`app`] is the whole application on one process, [`app_with_layer`] the
//! same on any channel layer, [`app_for_hosts`] the same for pages served
//! from other hosts; `src/main.rs` serves it.

mod consumer;
mod pages;

use std::sync::Arc;

use aqueduct::middleware::AllowedHostsOriginValidator;
use aqueduct::prelude::*;

pub use consumer::{ChatConsumer, ChatEvent, ChatMessage};

/// The hosts whose pages may open the chat's sockets unless told
/// otherwise: this machine, on any port, as Channels allows in `DEBUG`.
pub const LOCAL_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The whole application, its rooms joined by an in-memory channel layer:
/// one process.
pub fn app() -> ProtocolTypeRouter {
    app_with_layer(InMemoryChannelLayer::new())
}

/// The whole application on `layer`. With a `RedisChannelLayer`, rooms
/// span every process on the same Redis.
pub fn app_with_layer(layer: impl Into<Arc<dyn ChannelLayer>>) -> ProtocolTypeRouter {
    app_for_hosts(layer, &LOCAL_HOSTS)
}

/// The whole application: pages over HTTP, the chat over WebSocket for
/// pages served from `allowed_hosts` (Django's `ALLOWED_HOSTS`), and
/// `layer` joining the consumers of one room.
pub fn app_for_hosts(
    layer: impl Into<Arc<dyn ChannelLayer>>,
    allowed_hosts: &[impl AsRef<str>],
) -> ProtocolTypeRouter {
    let chat = UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default);
    ProtocolTypeRouter::new()
        // Plain HTTP requests go to the pages, an axum Router.
        .http(pages::router())
        // WebSocket connections are routed by path to a consumer, unless a
        // page on another site opened them: those get 403.
        .websocket(AllowedHostsOriginValidator::new(chat, allowed_hosts))
        // Consumers talk to each other through the channel layer.
        .with_channel_layer(layer)
}
