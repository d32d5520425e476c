//! Consumers: the hooks a user implements for one WebSocket connection.

mod context;
mod json;
mod run;

use async_trait::async_trait;

use crate::close::CloseCode;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::message::Message;
use crate::scope::Scope;

pub use context::Context;
pub use json::JsonWebsocketConsumer;

/// A WebSocket consumer: Channels' `AsyncWebsocketConsumer`.
///
/// One instance serves one connection. Its hooks run one at a time, never
/// concurrently, so it keeps its state in plain fields with no locks. A
/// consumer factory such as `ChatConsumer::default` is a
/// [`WebsocketApp`](crate::WebsocketApp), ready to route.
///
/// A consumer whose client speaks JSON implements [`JsonWebsocketConsumer`]
/// instead, and gets each message decoded into its own serde type; it is a
/// `WebsocketConsumer` through a blanket implementation.
///
/// Hooks are written with `#[async_trait]`, which boxes each call's
/// future. Native `async fn` in traits (with the `Send` bound a spawned
/// connection needs) would save that allocation, some 10 to 30 ns per hook
/// call, under the noise of one message's trip through the socket and
/// JSON; but it would keep the largest hook's state inline in every
/// connection's task for its whole life, idle or not (80 B against 192 B
/// for a small chat hook), and memory per idle connection is the budget
/// aqueduct keeps. `benches/hook_dispatch.rs` measures both.
///
/// ```
/// use aqueduct_core::{Context, Event, Message, Result, WebsocketConsumer};
/// use async_trait::async_trait;
/// use serde::Deserialize;
///
/// #[derive(Default)]
/// struct ChatConsumer;
///
/// #[derive(Deserialize)]
/// struct ChatMessage {
///     message: String,
/// }
///
/// #[async_trait]
/// impl WebsocketConsumer for ChatConsumer {
///     fn groups(&self, _scope: &aqueduct_core::Scope) -> Vec<String> {
///         vec!["chat_lobby".into()]
///     }
///
///     async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
///         let Some(text) = message.as_text() else { return Ok(()) };
///         let event = Event::new("chat.message", &serde_json::json!({ "message": text }))?;
///         ctx.group_send("chat_lobby", event).await?;
///         Ok(())
///     }
///
///     async fn event(&mut self, ctx: &mut Context, event: Event) -> Result {
///         match event.event_type() {
///             "chat.message" => {
///                 let chat: ChatMessage = event.decode()?;
///                 ctx.send_json(&serde_json::json!({ "message": chat.message })).await
///             }
///             other => Err(aqueduct_core::Error::msg(format!("no handler for {other}"))),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait WebsocketConsumer: Send + 'static {
    /// Groups to join before [`connect`](Self::connect) and leave after
    /// [`disconnect`](Self::disconnect): Channels' `groups = [...]`.
    fn groups(&self, scope: &Scope) -> Vec<String> {
        let _ = scope;
        Vec::new()
    }

    /// Called when the client asks to open the connection. Accepts by default.
    ///
    /// Call [`Context::accept`] (or [`accept_with`](Context::accept_with)) to
    /// finish the handshake, or [`Context::deny`] to refuse it with HTTP 403
    /// or another status. Returning without either refuses with 403.
    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await
    }

    /// Called for each text or binary message from the client. Ignores it by default.
    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let _ = (ctx, message);
        Ok(())
    }

    /// Called exactly once when the connection is over, whatever ended it:
    /// a clean close, a dropped TCP connection, a server shutdown, the
    /// consumer closing or refusing, or an error.
    async fn disconnect(&mut self, ctx: &mut Context, code: CloseCode) -> Result {
        let _ = (ctx, code);
        Ok(())
    }

    /// Called for each event from the channel layer: dispatch on
    /// [`Event::event_type`] and decode the payload with [`Event::decode`].
    ///
    /// The default fails, which closes the connection with 1011, as Channels
    /// raises when a consumer has no handler for a message type.
    async fn event(&mut self, ctx: &mut Context, event: Event) -> Result {
        let _ = ctx;
        Err(Error::msg(format!(
            "no handler for event type {:?}: implement WebsocketConsumer::event",
            event.event_type()
        )))
    }
}
