//! The conversation between a driver and a WebSocket application.
//!
//! A connection is a stream of events in ([`Inbound`]) and actions out
//! ([`Outbound`]). The server drives it over real sockets; the test
//! communicator drives it in memory. Both implement [`WebsocketIo`], so an
//! application cannot tell them apart.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::close::{CloseCode, CloseFrame};
use crate::message::Message;

/// What the driver reports to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// The client asked to open a WebSocket. Always the first event.
    Connect,
    /// A data message from the client.
    Receive(Message),
    /// The connection is over, with the close code the client sent (1005 if
    /// its close frame had none), 1006 if it dropped without a close frame,
    /// or the code the server closed with (1001 on shutdown, 1009 for an
    /// oversized message, …). Always the last event; asking again repeats it.
    Disconnect(CloseCode),
}

/// What the application asks the driver to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// Finish the handshake with `101 Switching Protocols`.
    Accept(Accept),
    /// Send a data message. Only after `Accept`.
    Send(Message),
    /// Send a close frame. Only after `Accept`.
    Close(CloseFrame),
    /// Refuse the handshake with an HTTP response. Only before `Accept`.
    Deny(Deny),
}

/// How to accept a handshake: the subprotocol chosen and extra response headers.
///
/// ```
/// use aqueduct_core::Accept;
///
/// let accept = Accept::new().subprotocol("chat.v2").header("x-server", "aqueduct");
/// assert_eq!(accept.subprotocol.as_deref(), Some("chat.v2"));
/// assert_eq!(accept.headers["x-server"], "aqueduct");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accept {
    /// The subprotocol to answer in `Sec-WebSocket-Protocol`; it should be
    /// one the client offered.
    pub subprotocol: Option<String>,
    /// Extra headers for the `101` response.
    pub headers: HeaderMap,
}

impl Accept {
    /// Accepts with no subprotocol and no extra headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses a subprotocol.
    pub fn subprotocol(mut self, subprotocol: impl Into<String>) -> Self {
        self.subprotocol = Some(subprotocol.into());
        self
    }

    /// Adds a response header.
    ///
    /// # Panics
    ///
    /// Panics if `name` or `value` is not a valid header name or value; both
    /// are programmer errors that show on the first connection.
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("{name:?} is not a valid HTTP header name"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("{value:?} is not a valid HTTP header value"));
        self.headers.append(name, value);
        self
    }
}

/// How to refuse a handshake: an HTTP status, headers and a short body.
///
/// ```
/// use aqueduct_core::Deny;
/// use http::StatusCode;
///
/// assert_eq!(Deny::default().status, StatusCode::FORBIDDEN);
/// assert_eq!(Deny::new(StatusCode::UNAUTHORIZED).status, StatusCode::UNAUTHORIZED);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deny {
    /// The response status: 403 unless the application chose another.
    pub status: StatusCode,
    /// Extra response headers.
    pub headers: HeaderMap,
    /// A short plain-text body.
    pub body: String,
}

impl Deny {
    /// Refuses with `status` and the status's reason phrase as the body.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: status.canonical_reason().unwrap_or_default().to_owned(),
        }
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }
}

impl Default for Deny {
    fn default() -> Self {
        Self::new(StatusCode::FORBIDDEN)
    }
}

/// The connection gave out: the client is gone or the driver is shutting down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionClosed;

impl std::fmt::Display for ConnectionClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the WebSocket connection is closed")
    }
}

impl std::error::Error for ConnectionClosed {}

/// A driver's side of one WebSocket conversation.
///
/// `poll_recv` yields [`Inbound::Connect`] first, then messages, then
/// [`Inbound::Disconnect`] for ever after. `send` carries out one
/// [`Outbound`] action; it fails once the connection is gone, after which
/// `poll_recv` reports the disconnect. `send` must be cancel-safe.
///
/// Receiving is a poll function rather than an `async fn`: a connection
/// polls it every time it wakes, for a client message or a channel-layer
/// event alike, and a boxed future per wait would cost an allocation each
/// time and memory on every idle connection. Applications call
/// [`recv`](trait.WebsocketIo.html#method.recv) on a `dyn WebsocketIo`.
///
/// ```
/// use std::task::{Context, Poll};
/// use aqueduct_core::{ConnectionClosed, Inbound, Outbound, WebsocketIo};
/// use async_trait::async_trait;
///
/// /// A client that connects and leaves at once.
/// struct Leaving {
///     connected: bool,
/// }
///
/// #[async_trait]
/// impl WebsocketIo for Leaving {
///     fn poll_recv(&mut self, _cx: &mut Context<'_>) -> Poll<Inbound> {
///         if std::mem::replace(&mut self.connected, true) {
///             Poll::Ready(Inbound::Disconnect(aqueduct_core::CloseCode::GOING_AWAY))
///         } else {
///             Poll::Ready(Inbound::Connect)
///         }
///     }
///
///     async fn send(&mut self, _action: Outbound) -> Result<(), ConnectionClosed> {
///         Err(ConnectionClosed)
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut io: Box<dyn WebsocketIo> = Box::new(Leaving { connected: false });
/// assert_eq!(io.recv().await, Inbound::Connect);
/// assert!(matches!(io.recv().await, Inbound::Disconnect(_)));
/// # });
/// ```
#[async_trait]
pub trait WebsocketIo: Send {
    /// Polls for the next event from the client.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound>;

    /// Carries out one action.
    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed>;
}

impl dyn WebsocketIo + '_ {
    /// Waits for the next event from the client.
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { io: self }
    }
}

/// The future [`recv`](trait.WebsocketIo.html#method.recv) returns: the
/// next event from the client. Cancel-safe: dropping it loses nothing.
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a> {
    io: &'a mut (dyn WebsocketIo + 'a),
}

impl Future for Recv<'_> {
    type Output = Inbound;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Inbound> {
        self.io.poll_recv(cx)
    }
}

impl std::fmt::Debug for Recv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
