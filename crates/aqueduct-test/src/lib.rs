//! Test aqueduct applications in-process, with no sockets: Channels'
//! `channels.testing`.
//!
//! - [`WebsocketCommunicator`] opens a WebSocket to an application, sends
//!   it messages and receives what it sends back. It drives the same
//!   conversation ([`WebsocketIo`](aqueduct_core::WebsocketIo)) the server
//!   drives over a real socket, in memory, so a test runs the consumer code
//!   production runs.
//! - [`HttpCommunicator`] sends one HTTP request through a
//!   `ProtocolTypeRouter`'s http arm, as the server does.
//! - [`layer_suite!`] checks that a [`ChannelLayer`](aqueduct_core::ChannelLayer)
//!   keeps the Channels layer spec: one test per check, for any layer.
//!
//! Add it as a dev-dependency. Every wait has a timeout measured with
//! `tokio::time`, so tests run under a paused clock
//! (`#[tokio::test(start_paused = true)]`) where a 60 s wait costs nothing.
//!
//! ```
//! use aqueduct_core::{CloseCode, Context, Message, NoEvents, Result, WebsocketConsumer};
//! use aqueduct_test::WebsocketCommunicator;
//! use async_trait::async_trait;
//!
//! /// Sends every message back to the client that sent it.
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
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In a test: #[tokio::test] async fn echoes() { … }
//! let mut communicator = WebsocketCommunicator::new(EchoConsumer::default, "/ws/echo/");
//! communicator.connect().await.assert_accepted();
//!
//! communicator.send_to("hello").await;
//! assert_eq!(communicator.receive_from().await, Message::text("hello"));
//!
//! communicator.send_json_to(&serde_json::json!({"n": 1})).await;
//! let echoed: serde_json::Value = communicator.receive_json_from().await;
//! assert_eq!(echoed["n"], 1);
//!
//! assert!(communicator.receive_nothing().await);
//! communicator.disconnect(CloseCode::NORMAL).await;
//! # }
//! ```
//!
//! With the `aqueduct` facade the consumer reads the same, with
//! `use aqueduct::prelude::*;`.

mod error;
mod http_communicator;
pub mod layer_suite;
mod request;
mod service;
mod websocket;

pub use error::ReceiveError;
pub use http_communicator::{HttpCommunicator, HttpResponse};
pub use service::service_available;
pub use websocket::{Connected, Output, WebsocketCommunicator};
