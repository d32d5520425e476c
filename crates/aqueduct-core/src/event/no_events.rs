//! The event type of a consumer that takes no channel-layer events.

use serde::{Deserialize, Serialize};

/// The [`Event`](crate::WebsocketConsumer::Event) type of a consumer that
/// takes no channel-layer events: an enum tagged on `"type"` with no
/// variants, so every event is of a type it does not know.
///
/// Such an event closes the connection with 1011 and an error log naming
/// the type and the consumer, as Channels raises "No handler for message
/// type" for a consumer with no handler. Having no values, it also tells
/// the compiler that the consumer's `event` hook can never run.
///
/// ```
/// use aqueduct_core::{Context, Message, NoEvents, Result, WebsocketConsumer};
/// use async_trait::async_trait;
///
/// #[derive(Default)]
/// struct EchoConsumer;
///
/// #[async_trait]
/// impl WebsocketConsumer for EchoConsumer {
///     type Event = NoEvents;
///
///     async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
///         ctx.send(message).await
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum NoEvents {}
