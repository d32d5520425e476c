//! Routers for aqueduct: which application gets a connection.
//!
//! - [`ProtocolTypeRouter`] sends HTTP requests to a tower `Service` (an
//!   axum `Router`, for one) and WebSocket connections to a
//!   [`WebsocketApp`](aqueduct_core::WebsocketApp), and hands every
//!   WebSocket the channel layer.
//! - [`UrlRouter`] picks a WebSocket application by path, with Django
//!   `path()` patterns such as `ws/chat/<room_name>/`.
//! - `views` (the `views` feature, on by default): dwebsocket-style views,
//!   one async function answering HTTP and WebSocket at the same path,
//!   routed by `Views`.
//!
//! None of them opens a socket. aqueduct's server and the test
//! communicator drive them; each is also a tower `Service` that another
//! host (an axum `Router`) mounts, handing WebSocket handshakes to the
//! `aqueduct-websocket` driver.

// On docs.rs, each item gated on a feature says which.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
mod error;
mod protocol;
mod service;
mod url;
#[cfg(feature = "views")]
pub mod views;

#[cfg(test)]
mod test_support;

pub use error::PatternError;
pub use protocol::ProtocolTypeRouter;
pub use protocol::http::HttpArm;
pub use service::ServiceFuture;
pub use url::UrlRouter;
#[cfg(feature = "views")]
pub use views::Views;
