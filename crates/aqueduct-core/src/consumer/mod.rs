//! Consumers: the hooks a user implements for one WebSocket connection.

mod context;
mod json;
mod parked;
mod run;

use std::any::type_name;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::close::CloseCode;
use crate::error::{Error, Result};
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
/// A consumer names the channel-layer events it takes once, as its
/// [`Event`](Self::Event) type, and gets each one decoded in its
/// [`event`](Self::event) hook; a consumer that takes none says
/// `type Event = NoEvents;`.
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
/// use serde::{Deserialize, Serialize};
///
/// /// The events of the lobby's group: `{"type": "chat.message", "message": …}`.
/// #[derive(Serialize, Deserialize)]
/// #[serde(tag = "type")]
/// enum ChatEvent {
///     #[serde(rename = "chat.message")]
///     ChatMessage { message: String },
/// }
///
/// #[derive(Default)]
/// struct ChatConsumer;
///
/// #[async_trait]
/// impl WebsocketConsumer for ChatConsumer {
///     type Event = ChatEvent;
///
///     fn groups(&self, _scope: &aqueduct_core::Scope) -> Vec<String> {
///         vec!["chat_lobby".into()]
///     }
///
///     async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
///         let Some(text) = message.as_text() else { return Ok(()) };
///         let event = ChatEvent::ChatMessage { message: text.to_owned() };
///         ctx.group_send("chat_lobby", Event::from_message(&event)?).await?;
///         Ok(())
///     }
///
///     async fn event(&mut self, ctx: &mut Context, event: ChatEvent) -> Result {
///         match event {
///             ChatEvent::ChatMessage { message } => {
///                 ctx.send_json(&serde_json::json!({ "message": message })).await
///             }
///         }
///     }
/// }
/// ```
///
/// What the channel layer delivers, and what happens:
///
/// | the event | what happens |
/// |---|---|
/// | its `"type"` is a variant's, and the payload fits it | [`event`](Self::event) gets the decoded value |
/// | its `"type"` is no variant's (any type, for [`NoEvents`](crate::NoEvents)) | close **1011**; an `error` log names the type, the consumer and the types it knows |
/// | its `"type"` is a variant's, but the payload does not fit it | close **1011**; an `error` log names the type, the consumer and the serde error |
///
/// 1011 (internal error) is what Channels' servers send when a consumer
/// raises, as it does for a type it has no handler for: the events a
/// server's own code sends are not the client's doing, so neither case
/// gets a code that blames the client. `disconnect` then runs with 1011.
#[async_trait]
pub trait WebsocketConsumer: Send + 'static {
    /// The channel-layer events this consumer takes, decoded for
    /// [`event`](Self::event): a serde enum tagged on `"type"`, each
    /// variant renamed to its Channels type (`"chat.message"`), or
    /// [`NoEvents`](crate::NoEvents).
    ///
    /// Any serde type will do: a struct takes every event whose payload
    /// fits it, whatever its type.
    type Event: DeserializeOwned + Send;

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

    /// Called for each event from the channel layer, decoded into
    /// [`Event`](Self::Event); events that do not decode never get here
    /// (see the table above).
    ///
    /// The default fails, which closes the connection with 1011: a consumer
    /// that names an event type handles it.
    async fn event(&mut self, ctx: &mut Context, event: Self::Event) -> Result {
        let _ = (ctx, event);
        Err(no_event_hook::<Self>("WebsocketConsumer"))
    }
}

/// The error of a default `event` hook: the consumer named an event type
/// but left the hook out.
fn no_event_hook<C: ?Sized>(consumer_trait: &str) -> Error {
    Error::msg(format!(
        "{} takes events but does not handle them: implement {consumer_trait}::event",
        type_name::<C>()
    ))
}
