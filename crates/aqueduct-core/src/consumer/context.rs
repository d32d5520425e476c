//! What a consumer's hooks use to act on their connection.

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Poll, ready};

use bytes::Bytes;
use serde::Serialize;

use crate::close::{CloseCode, CloseFrame};
use crate::conversation::{Accept, ConnectionClosed, Deny, Inbound, Outbound, WebsocketIo};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::layer::{ChannelLayer, GroupSendReport, LayerError, Overflow};
use crate::message::{Message, Utf8Bytes};
use crate::scope::Scope;

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// The handshake is waiting for `accept` or `deny`.
    Connecting,
    /// Accepted: messages flow both ways.
    Open,
    /// The consumer closed or refused, or a send found the client gone; the
    /// driver has yet to report the final disconnect.
    Closing,
    /// The driver reported the disconnect, with this code.
    Closed(CloseCode),
}

/// The handle a consumer's hooks get: Channels' `self.scope`, `self.send`,
/// `self.accept`, `self.channel_layer` and `self.channel_name` in one place.
///
/// Every output goes straight to the connection's driver: no queue sits
/// between a hook and the socket, so a send waits while the client is slow
/// to read (bounded by the server's write timeout).
pub struct Context {
    scope: Scope,
    io: Box<dyn WebsocketIo>,
    layer: Option<Arc<dyn ChannelLayer>>,
    channel_name: Option<Arc<str>>,
    state: State,
    groups: Vec<String>,
}

impl Context {
    pub(crate) fn new(
        scope: Scope,
        io: Box<dyn WebsocketIo>,
        layer: Option<Arc<dyn ChannelLayer>>,
        channel_name: Option<Arc<str>>,
    ) -> Self {
        Self {
            scope,
            io,
            layer,
            channel_name,
            state: State::Connecting,
            groups: Vec::new(),
        }
    }

    /// What is known about the connection: path, headers, URL parameters,
    /// and what middleware added.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The user authentication middleware found, or `None` for an
    /// anonymous connection: Channels' `self.scope["user"]`. Short for
    /// [`ctx.scope().user()`](Scope::user).
    pub fn user<U: Clone + Send + Sync + 'static>(&self) -> Option<&U> {
        self.scope.user()
    }

    /// Accepts the handshake: the client gets `101 Switching Protocols`.
    pub async fn accept(&mut self) -> Result {
        self.accept_with(Accept::new()).await
    }

    /// Accepts the handshake with a subprotocol and extra response headers.
    pub async fn accept_with(&mut self, accept: Accept) -> Result {
        if self.state != State::Connecting {
            return Err(Error::msg(
                "accept called on a connection that is past its handshake",
            ));
        }
        self.state = State::Open;
        self.act(Outbound::Accept(accept)).await
    }

    /// Refuses the handshake with HTTP 403.
    pub async fn deny(&mut self) -> Result {
        self.deny_with(Deny::default()).await
    }

    /// Refuses the handshake with the given status, headers and body.
    pub async fn deny_with(&mut self, deny: Deny) -> Result {
        if self.state != State::Connecting {
            return Err(Error::msg(
                "deny is only possible before accept; use close once the connection is open",
            ));
        }
        self.state = State::Closing;
        self.act(Outbound::Deny(deny)).await
    }

    /// Closes the connection with `code`; before accept, refuses it with 403
    /// as Channels does. The `disconnect` hook runs once the close completes.
    pub async fn close(&mut self, code: CloseCode) -> Result {
        self.close_with(CloseFrame::new(code)).await
    }

    /// Closes the connection with a code and a reason.
    pub async fn close_with(&mut self, frame: CloseFrame) -> Result {
        match self.state {
            State::Connecting => self.deny().await,
            State::Open => {
                self.state = State::Closing;
                self.act(Outbound::Close(frame)).await
            }
            State::Closing | State::Closed(_) => Ok(()),
        }
    }

    /// Sends a text or binary message to the client.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result {
        match self.state {
            State::Open => self.act(Outbound::Send(message.into())).await,
            State::Connecting => Err(Error::msg(
                "cannot send before the handshake is accepted: call ctx.accept() first",
            )),
            State::Closing | State::Closed(_) => Err(ConnectionClosed.into()),
        }
    }

    /// Sends a text message.
    pub async fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result {
        self.send(Message::Text(text.into())).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&mut self, bytes: impl Into<Bytes>) -> Result {
        self.send(Message::Binary(bytes.into())).await
    }

    /// Sends `value` encoded as JSON in a text message.
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let text = serde_json::to_string(value)?;
        self.send_text(text).await
    }

    /// This connection's channel name, when a channel layer is configured.
    pub fn channel_name(&self) -> Option<&str> {
        self.channel_name.as_deref()
    }

    /// The channel layer, when one is configured.
    pub fn channel_layer(&self) -> Option<&Arc<dyn ChannelLayer>> {
        self.layer.as_ref()
    }

    /// Adds this connection to `group`. aqueduct leaves it again when the
    /// connection ends, even if `disconnect` forgets to.
    pub async fn group_add(&mut self, group: &str) -> Result<(), LayerError> {
        let (layer, channel) = self.layer_and_channel()?;
        layer.group_add(group, channel).await?;
        if !self.groups.iter().any(|g| g == group) {
            self.groups.push(group.to_owned());
        }
        Ok(())
    }

    /// Removes this connection from `group`.
    pub async fn group_discard(&mut self, group: &str) -> Result<(), LayerError> {
        let (layer, channel) = self.layer_and_channel()?;
        layer.group_discard(group, channel).await?;
        self.groups.retain(|g| g != group);
        Ok(())
    }

    /// Sends `event` to every member of `group`, this connection included if
    /// it is a member. A member whose channel is full is treated as the
    /// layer's [`Overflow`] policy says: by default its connection closes
    /// with 4013.
    pub async fn group_send(
        &mut self,
        group: &str,
        event: Event,
    ) -> Result<GroupSendReport, LayerError> {
        self.layer()?.group_send(group, event).await
    }

    /// Sends `event` to every member of `group`, treating full members as
    /// `overflow` says for this send, whatever the layer's own policy.
    ///
    /// Under [`Overflow::Wait`] the hook waits for room, and meanwhile
    /// reads nothing else; a connection that is itself a full member waits
    /// the whole timeout, since only it reads its channel.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aqueduct_core::{Context, Event, Overflow, Result};
    ///
    /// async fn announce(ctx: &mut Context, event: Event) -> Result {
    ///     // An announcement is worth a short wait for slow members.
    ///     let wait = Overflow::Wait(Duration::from_millis(100));
    ///     ctx.group_send_with("lobby", event, wait).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn group_send_with(
        &mut self,
        group: &str,
        event: Event,
        overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        self.layer()?.group_send_with(group, event, overflow).await
    }

    /// Sends `event` to one channel by name (Channels' `channel_layer.send`).
    pub async fn send_to(&mut self, channel: &str, event: Event) -> Result<(), LayerError> {
        self.layer()?.send(channel, event).await
    }

    /// Returns whether the handshake was accepted and the connection is open.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    fn layer(&self) -> Result<&Arc<dyn ChannelLayer>, LayerError> {
        self.layer.as_ref().ok_or(LayerError::NotConfigured)
    }

    fn layer_and_channel(&self) -> Result<(&Arc<dyn ChannelLayer>, &str), LayerError> {
        let layer = self.layer()?;
        let channel = self
            .channel_name
            .as_deref()
            .ok_or(LayerError::NotConfigured)?;
        Ok((layer, channel))
    }

    async fn act(&mut self, action: Outbound) -> Result {
        if let Err(closed) = self.io.send(action).await {
            if self.state != State::Connecting {
                self.state = State::Closing;
            }
            return Err(closed.into());
        }
        Ok(())
    }

    // What the run loop needs; not for hooks.

    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The layer and the channel name, shared, for the run loop to hold
    /// while it lends the context to hooks.
    pub(crate) fn layer_and_channel_arcs(
        &self,
    ) -> (Option<Arc<dyn ChannelLayer>>, Option<Arc<str>>) {
        (self.layer.clone(), self.channel_name.clone())
    }

    pub(crate) fn joined_groups(&mut self) -> Vec<String> {
        std::mem::take(&mut self.groups)
    }

    /// Polls for the next event from the driver; records the disconnect.
    pub(crate) fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Inbound> {
        if let State::Closed(code) = self.state {
            return Poll::Ready(Inbound::Disconnect(code));
        }
        let inbound = ready!(self.io.poll_recv(cx));
        if let Inbound::Disconnect(code) = inbound {
            self.state = State::Closed(code);
        }
        Poll::Ready(inbound)
    }

    /// Waits for the next event from the driver; records the disconnect.
    pub(crate) async fn recv(&mut self) -> Inbound {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Refuses or closes after a failure, as the connection contract fixes: HTTP 500 before
    /// accept, close 1011 after.
    pub(crate) async fn fail(&mut self) {
        self.fail_with(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            CloseCode::INTERNAL_ERROR,
        )
        .await;
    }

    /// Ends the connection because a service it needs is away for now:
    /// 503 before accept, 1013 (try again later) after.
    pub(crate) async fn fail_unavailable(&mut self) {
        self.fail_with(
            http::StatusCode::SERVICE_UNAVAILABLE,
            CloseCode::TRY_AGAIN_LATER,
        )
        .await;
    }

    async fn fail_with(&mut self, status: http::StatusCode, code: CloseCode) {
        let _ = match self.state {
            State::Connecting => self.deny_with(Deny::new(status)).await,
            State::Open => self.close(code).await,
            State::Closing | State::Closed(_) => Ok(()),
        };
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("scope", &self.scope)
            .field("channel_name", &self.channel_name)
            .field("state", &self.state)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}
