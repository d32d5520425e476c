//! Views in the style of Django's `dwebsocket`: one async function answers
//! plain HTTP and WebSocket at the same URL, reading messages in a loop.
//!
//! ```
//! use aqueduct_routing::ProtocolTypeRouter;
//! use aqueduct_routing::views::{ViewRequest, Views, accept_websocket};
//!
//! async fn echo(mut request: ViewRequest) -> aqueduct_core::Result<String> {
//!     let Some(ws) = request.websocket() else {
//!         return Ok(request.query_param("message").unwrap_or_default().to_owned());
//!     };
//!     while let Some(message) = ws.wait().await {
//!         ws.send(message).await?;
//!     }
//!     Ok(String::new())
//! }
//!
//! let views = Views::new().route("echo/", accept_websocket(echo));
//! let app = ProtocolTypeRouter::from(views);
//! # let _ = app;
//! ```
//!
//! - `view.rs`: [`View`], made by [`accept_websocket`] and [`require_websocket`];
//! - `request.rs`: [`ViewRequest`], what a view is called with;
//! - `websocket.rs`: [`WebSocket`], the connection a view reads and writes;
//! - `response.rs`: [`IntoViewResponse`], what a view may return;
//! - `router.rs`: [`Views`], which routes views by path;
//! - `run.rs`: how a view runs, and where its panics and errors stop.
//!
//! The WebSocket side is an ordinary [`WebsocketApp`](aqueduct_core::WebsocketApp):
//! views talk through the same conversation as consumers, so the server and
//! the test communicator drive them alike.

mod request;
mod response;
mod router;
mod run;
mod sync_cell;
mod view;
mod websocket;

pub use crate::error::BodyError;
pub use request::{DEFAULT_BODY_LIMIT, ViewRequest};
pub use response::{IntoViewResponse, ViewResponse};
pub use router::Views;
pub use view::{View, accept_websocket, require_websocket};
pub use websocket::{DEFAULT_MAX_BUFFERED_MESSAGES, WebSocket};

#[cfg(test)]
mod tests;
