//! JSON consumers: Channels' `AsyncJsonWebsocketConsumer`.

use std::any::type_name;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Context, WebsocketConsumer};
use crate::close::{CloseCode, CloseFrame};
use crate::error::Result;
use crate::message::Message;
use crate::scope::Scope;

/// The close reason sent with 1007 when a text message does not decode.
const INVALID_JSON: &str = "invalid JSON payload";
/// The close reason sent with 1003 when a binary message arrives.
const BINARY_UNSUPPORTED: &str = "binary messages are not supported";

/// A consumer that speaks JSON: Channels' `AsyncJsonWebsocketConsumer`.
///
/// It names the serde type its client sends, [`Incoming`](Self::Incoming),
/// and gets each text message already decoded in
/// [`receive_json`](Self::receive_json). The other hooks are those of
/// [`WebsocketConsumer`]: [`groups`](Self::groups), [`connect`](Self::connect)
/// (accepts by default), [`disconnect`](Self::disconnect), and
/// [`Event`](Self::Event) with its [`event`](Self::event) hook for
/// channel-layer events.
///
/// Every `JsonWebsocketConsumer` is a [`WebsocketConsumer`], so its factory
/// routes like any other: `UrlRouter::new().route("ws/game/", GameConsumer::default)`.
/// Implement one trait or the other for a type, never both (the compiler
/// reports conflicting implementations).
///
/// What the client sends, and what happens:
///
/// | the client sends | what happens |
/// |---|---|
/// | a text message that [`decode_json`](Self::decode_json) accepts | [`receive_json`](Self::receive_json) gets the decoded value |
/// | a text message that is not JSON, or JSON of the wrong shape | close **1007** (invalid payload), reason `invalid JSON payload`; a `warn` log names the consumer type and the serde error |
/// | a binary message | close **1003** (unsupported data), reason `binary messages are not supported`; a `warn` log names the consumer type |
/// | a close frame, or the connection drops | [`disconnect`](Self::disconnect) gets the code, as for any consumer |
///
/// After a 1007 or 1003 close, `disconnect` runs with that code; other
/// connections are not affected. A hook that returns an error or panics
/// closes the connection with 1011, as for any consumer.
///
/// To send, use [`send_json`](Self::send_json), which encodes with this
/// consumer's [`encode_json`](Self::encode_json).
/// [`Context::send_json`] always encodes with `serde_json`; the two agree
/// unless `encode_json` is overridden.
///
/// ```
/// use aqueduct_core::{Context, Event, JsonWebsocketConsumer, Result};
/// use async_trait::async_trait;
/// use serde::{Deserialize, Serialize};
///
/// /// What the client sends: `{"type": "join", "room": "lobby"}` or
/// /// `{"type": "say", "text": "hi"}`.
/// #[derive(Deserialize)]
/// #[serde(tag = "type", rename_all = "snake_case")]
/// enum Command {
///     Join { room: String },
///     Say { text: String },
/// }
///
/// /// What travels through the room's group: `{"type": "chat.said", "text": "hi"}`.
/// #[derive(Serialize, Deserialize)]
/// #[serde(tag = "type")]
/// enum RoomEvent {
///     #[serde(rename = "chat.said")]
///     Said { text: String },
/// }
///
/// #[derive(Default)]
/// struct ChatConsumer {
///     room: Option<String>,
/// }
///
/// #[async_trait]
/// impl JsonWebsocketConsumer for ChatConsumer {
///     type Incoming = Command;
///     type Event = RoomEvent;
///
///     async fn receive_json(&mut self, ctx: &mut Context, command: Command) -> Result {
///         match command {
///             Command::Join { room } => {
///                 ctx.group_add(&room).await?;
///                 self.room = Some(room);
///                 self.send_json(ctx, &serde_json::json!({ "joined": self.room })).await
///             }
///             Command::Say { text } => {
///                 let Some(room) = &self.room else {
///                     return self.send_json(ctx, &serde_json::json!({ "error": "join first" })).await;
///                 };
///                 let said = Event::from_message(&RoomEvent::Said { text })?;
///                 ctx.group_send(room, said).await?;
///                 Ok(())
///             }
///         }
///     }
///
///     async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
///         match event {
///             RoomEvent::Said { text } => {
///                 self.send_json(ctx, &serde_json::json!({ "said": text })).await
///             }
///         }
///     }
/// }
///
/// // Like any consumer's, the factory is an application, ready to route.
/// fn routable(_: impl aqueduct_core::WebsocketApp) {}
/// routable(ChatConsumer::default);
/// ```
#[async_trait]
pub trait JsonWebsocketConsumer: Send + 'static {
    /// The serde type of what the client sends; each text message is
    /// decoded into it by [`decode_json`](Self::decode_json).
    ///
    /// Use an enum tagged with `#[serde(tag = "type")]` for a set of
    /// commands, or `serde_json::Value` to take any JSON.
    type Incoming: DeserializeOwned + Send;

    /// The channel-layer events this consumer takes, decoded for
    /// [`event`](Self::event); see [`WebsocketConsumer::Event`]. A consumer
    /// that takes none says `type Event = NoEvents;`.
    type Event: DeserializeOwned + Send;

    /// Groups to join before [`connect`](Self::connect) and leave after
    /// [`disconnect`](Self::disconnect): Channels' `groups = [...]`.
    fn groups(&self, scope: &Scope) -> Vec<String> {
        let _ = scope;
        Vec::new()
    }

    /// Called when the client asks to open the connection. Accepts by
    /// default; see [`WebsocketConsumer::connect`].
    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await
    }

    /// Called for each text message from the client, once it has decoded
    /// into [`Incoming`](Self::Incoming).
    async fn receive_json(&mut self, ctx: &mut Context, content: Self::Incoming) -> Result;

    /// Called exactly once when the connection is over, whatever ended it;
    /// see [`WebsocketConsumer::disconnect`].
    async fn disconnect(&mut self, ctx: &mut Context, code: CloseCode) -> Result {
        let _ = (ctx, code);
        Ok(())
    }

    /// Called for each event from the channel layer, decoded into
    /// [`Event`](Self::Event); see [`WebsocketConsumer::event`]. The
    /// default fails, which closes the connection with 1011.
    async fn event(&mut self, ctx: &mut Context, event: Self::Event) -> Result {
        let _ = (ctx, event);
        Err(super::no_event_hook::<Self>("JsonWebsocketConsumer"))
    }

    /// Decodes a text message from the client. The default uses `serde_json`.
    ///
    /// Override it to accept other forms as well (a plain-text shorthand, a
    /// legacy format); an error closes the connection with 1007.
    fn decode_json(&self, text: &str) -> Result<Self::Incoming> {
        Ok(serde_json::from_str(text)?)
    }

    /// Encodes a value for [`send_json`](Self::send_json). The default uses
    /// `serde_json`, compact.
    fn encode_json<T: Serialize + ?Sized>(&self, content: &T) -> Result<String> {
        Ok(serde_json::to_string(content)?)
    }

    /// Sends `content` to the client as a text message encoded by
    /// [`encode_json`](Self::encode_json): Channels' `send_json`.
    fn send_json<T: Serialize + ?Sized>(
        &self,
        ctx: &mut Context,
        content: &T,
    ) -> impl Future<Output = Result> + Send {
        // Encode before the first await, so the future holds no reference
        // to the consumer or the value and needs neither to be `Sync`.
        let text = self.encode_json(content);
        async move { ctx.send_text(text?).await }
    }
}

type HookFuture<'a> = Pin<Box<dyn Future<Output = Result> + Send + 'a>>;

/// Makes every JSON consumer a consumer, so the runner, the routers and the
/// test communicator drive both alike.
///
/// The hooks that need no translation hand back the JSON hook's future as
/// is, so an event costs no more than for a plain consumer.
#[async_trait]
impl<C: JsonWebsocketConsumer> WebsocketConsumer for C {
    type Event = C::Event;

    fn groups(&self, scope: &Scope) -> Vec<String> {
        JsonWebsocketConsumer::groups(self, scope)
    }

    fn connect<'s, 'c, 'f>(&'s mut self, ctx: &'c mut Context) -> HookFuture<'f>
    where
        's: 'f,
        'c: 'f,
        Self: 'f,
    {
        JsonWebsocketConsumer::connect(self, ctx)
    }

    // Decoding runs inside the hook's future, not before it, so a panic in
    // a custom `decode_json` is caught like any other hook's.
    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(bytes) => {
                tracing::warn!(
                    consumer = type_name::<C>(),
                    len = bytes.len(),
                    "binary message to a JSON consumer; closing with 1003"
                );
                let frame = CloseFrame::new(CloseCode::UNSUPPORTED_DATA);
                return ctx.close_with(frame.with_reason(BINARY_UNSUPPORTED)).await;
            }
        };
        match self.decode_json(&text) {
            Ok(content) => self.receive_json(ctx, content).await,
            Err(err) => {
                tracing::warn!(
                    consumer = type_name::<C>(),
                    error = %err,
                    "text message does not decode as this consumer's JSON; closing with 1007"
                );
                let frame = CloseFrame::new(CloseCode::INVALID_PAYLOAD);
                ctx.close_with(frame.with_reason(INVALID_JSON)).await
            }
        }
    }

    fn disconnect<'s, 'c, 'f>(&'s mut self, ctx: &'c mut Context, code: CloseCode) -> HookFuture<'f>
    where
        's: 'f,
        'c: 'f,
        Self: 'f,
    {
        JsonWebsocketConsumer::disconnect(self, ctx, code)
    }

    fn event<'s, 'c, 'f>(&'s mut self, ctx: &'c mut Context, event: C::Event) -> HookFuture<'f>
    where
        's: 'f,
        'c: 'f,
        Self: 'f,
    {
        JsonWebsocketConsumer::event(self, ctx, event)
    }
}
