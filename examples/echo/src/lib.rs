//! A WebSocket echo server: every text and binary message comes back unchanged.
//!
//! Run with `cargo run -p example-echo`, then connect to `ws://127.0.0.1:8001/ws/echo/`.

use aqueduct::prelude::*;

/// Sends every message back to the client that sent it.
#[derive(Debug, Default)]
pub struct EchoConsumer;

#[async_trait]
impl WebsocketConsumer for EchoConsumer {
    type Event = NoEvents;

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        ctx.send(message).await
    }
}

/// The application: `/ws/echo/` and nothing else.
pub fn app() -> ProtocolTypeRouter {
    UrlRouter::new()
        .route("ws/echo/", EchoConsumer::default)
        .into()
}
