//! The vocabulary of aqueduct.
//!
//! Application authors will typically not use this crate directly: the
//! `aqueduct` facade re-exports everything here. This crate holds what every
//! other part of aqueduct agrees on, and its API changes very infrequently:
//!
//! - [`Scope`]: what is known about a connection (path, headers, URL
//!   parameters, extensions added by middleware).
//! - [`Message`] and [`CloseCode`]: what travels over a WebSocket.
//! - [`WebsocketConsumer`] and its [`Context`]: the hooks a user implements;
//!   [`JsonWebsocketConsumer`] for a client that speaks JSON.
//! - [`Event`]: a channel-layer message, decoded into the serde enum a
//!   consumer names ([`NoEvents`] for none).
//! - [`WebsocketApp`] and [`WebsocketIo`]: the conversation between a driver
//!   (the server, or the test communicator) and an application;
//!   [`Refusal`], how middleware wrapping an application turns a
//!   connection away.
//! - [`ChannelLayer`] and [`InMemoryChannelLayer`]: how consumers talk to
//!   each other through channels and groups.

mod app;
mod body;
mod client_addr;
mod close;
mod consumer;
mod conversation;
mod error;
mod event;
mod layer;
mod log_throttle;
mod message;
mod refusal;
mod scope;
mod support;

/// What aqueduct's own crates share: not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::log_throttle::LogThrottle;
    pub use crate::support::{
        catch_panic, deliver_locally, expect_connect, log_skipped, text_from_tungstenite,
        text_into_tungstenite, text_response,
    };
}

pub use app::{AppFuture, BoxWebsocketApp, WebsocketApp};
pub use body::{Body, BoxError};
pub use client_addr::ClientAddr;
pub use close::{CloseCode, CloseFrame};
pub use consumer::{Context, JsonWebsocketConsumer, WebsocketConsumer};
pub use conversation::{Accept, ConnectionClosed, Deny, Inbound, Outbound, Recv, WebsocketIo};
pub use error::{Error, Result};
pub use event::{Event, EventError, NoEvents};
pub use layer::{
    Capacities, ChannelLayer, GroupSendReport, InMemoryChannelLayer, InMemoryConfig, LayerError,
    Overflow, validate_channel_name, validate_group_name,
};
pub use message::{Message, Utf8Bytes};
pub use refusal::Refusal;
pub use scope::{Param, Scope, ScopeKind, Transport, UrlParams};
