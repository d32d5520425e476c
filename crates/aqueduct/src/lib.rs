//! Real-time web applications in Rust, in the model of Django Channels.
//!
//! A [`ProtocolTypeRouter`] sends each connection to an HTTP service or a
//! WebSocket application; a [`UrlRouter`] picks a consumer by path
//! (`ws/chat/<room_name>/`); a [`WebsocketConsumer`] reacts to connect,
//! receive and disconnect, and to events from a [`ChannelLayer`], through
//! which consumers talk to each other by channels and groups. A
//! [`JsonWebsocketConsumer`] does the same for a client that speaks JSON,
//! with each message decoded into a serde type of its choosing.
//!
//! For Django's `dwebsocket` style, where one view answers plain HTTP and
//! WebSocket at the same URL and reads messages in a loop, see `views`.
//!
//! # Features
//!
//! - `server` (default): aqueduct's own server, `serve` and `Server`,
//!   with TLS and HTTP/2. Leave it out when another host, such as
//!   `axum::serve`, runs the application (every router is a tower
//!   `Service`).
//! - `views` (default): `views` and `Views`, dwebsocket-style views.
//! - `redis` (default): the Redis channel layers, as `aqueduct::redis`.
//!
//! As with axum's `ws`, leaving a feature out leaves out its code and its
//! dependencies: `aqueduct = { version = "…", default-features = false }`
//! keeps consumers, routers and the in-memory layer.
//!
//! ```no_run
//! use aqueduct::prelude::*;
//!
//! #[derive(Default)]
//! struct EchoConsumer;
//!
//! #[async_trait]
//! impl WebsocketConsumer for EchoConsumer {
//!     type Event = NoEvents;
//!
//!     async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
//!         ctx.send(message).await
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = UrlRouter::new().route("ws/echo/", EchoConsumer::default);
//!     aqueduct::serve("127.0.0.1:8001", app).await
//! }
//! ```

// On docs.rs, each item gated on a feature says which.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use aqueduct_core::{
    Accept, AppFuture, Body, BoxError, BoxWebsocketApp, ChannelLayer, ClientAddr, CloseCode,
    CloseFrame, ConnectionClosed, Context, Deny, Error, Event, EventError, GroupSendReport,
    InMemoryChannelLayer, InMemoryConfig, Inbound, JsonWebsocketConsumer, LayerError, Message,
    NoEvents, Outbound, Overflow, Param, Refusal, Result, Scope, ScopeKind, Transport, UrlParams,
    Utf8Bytes, WebsocketApp, WebsocketConsumer, WebsocketIo, validate_channel_name,
    validate_group_name,
};
#[doc(inline)]
pub use aqueduct_http::Transports;
#[doc(inline)]
pub use aqueduct_routing::{HttpArm, PatternError, ProtocolTypeRouter, UrlRouter};
#[cfg(feature = "views")]
#[doc(inline)]
pub use aqueduct_routing::{Views, views};
#[cfg(feature = "server")]
#[doc(inline)]
pub use aqueduct_server::{Server, TlsError, TrustedProxies, TrustedProxiesError, rustls, serve};
#[doc(inline)]
pub use aqueduct_websocket::{Driver, Limits, Rate, is_websocket_request};

/// Middleware for WebSocket applications: origin checks, authentication,
/// cookie sessions and per-user groups (see `docs/topics/security.md`).
pub mod middleware {
    #[doc(inline)]
    pub use aqueduct_middleware::*;
}

/// Redis channel layers that share channels and groups with Django
/// Channels' `channels_redis` (the `redis` feature, on by default).
#[cfg(feature = "redis")]
pub mod redis {
    #[doc(inline)]
    pub use aqueduct_redis::*;
}

/// The attribute that makes `async fn` work in consumer trait impls.
pub use async_trait::async_trait;
/// The `http` crate, for status codes and headers.
pub use http;

/// What nearly every aqueduct application needs: `use aqueduct::prelude::*;`.
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::{
        ChannelLayer, CloseCode, Context, Event, InMemoryChannelLayer, JsonWebsocketConsumer,
        Message, NoEvents, ProtocolTypeRouter, Result, UrlRouter, WebsocketConsumer, async_trait,
    };
}
