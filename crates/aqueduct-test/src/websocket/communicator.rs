//! `WebsocketCommunicator`: what a test builds, connects and disconnects.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{BoxWebsocketApp, CloseFrame, Inbound, Scope, ScopeKind, WebsocketApp};
use http::request::Parts;
use http::{Method, StatusCode, header};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::outcome::Output;
use crate::request;

/// Drives a WebSocket application in memory, as a client would over a
/// socket: Channels' `WebsocketCommunicator`.
///
/// The application runs in a task of its own, as on the server, and
/// speaks to the communicator through the same conversation
/// ([`WebsocketIo`](aqueduct_core::WebsocketIo)) the server's driver
/// speaks, so a test exercises the consumer code that production runs:
/// the same handshake answers, the same 500 or 1011 after a failure, the
/// same disconnect hook. The queues between the test and the application
/// are bounded.
///
/// Every wait has a timeout (1 s unless [`timeout`](Self::timeout) says
/// otherwise), measured with `tokio::time`, so under a paused clock
/// (`#[tokio::test(start_paused = true)]`) long waits cost no wall time. A
/// wait that runs out fails the test, naming what it waited for.
///
/// Any [`WebsocketApp`] can be tested: a whole `ProtocolTypeRouter` (which
/// hands the connection its channel layer, as for the server), a
/// `UrlRouter`, or a consumer factory such as `ChatConsumer::default`.
/// Communicators built on clones of one application share its channel
/// layer, so they can talk through groups.
///
/// A communicator dropped without [`disconnect`](Self::disconnect) acts
/// as a client whose connection dropped: the application sees 1006 and
/// its disconnect hook runs; if it has not finished one timeout later,
/// its task is cancelled, so no application outlives its test for long.
///
/// ```
/// use aqueduct_core::{CloseCode, Context, Message, NoEvents, Result, WebsocketConsumer};
/// use aqueduct_test::WebsocketCommunicator;
/// use async_trait::async_trait;
///
/// /// Greets each client by the name in its query string.
/// #[derive(Default)]
/// struct Greeter;
///
/// #[async_trait]
/// impl WebsocketConsumer for Greeter {
///     type Event = NoEvents;
///
///     async fn connect(&mut self, ctx: &mut Context) -> Result {
///         ctx.accept().await?;
///         let name = ctx.scope().query_string().trim_start_matches("name=").to_owned();
///         ctx.send_text(format!("hello {name}")).await
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut communicator = WebsocketCommunicator::new(Greeter::default, "/ws/greet/")
///     .query_string("name=ada");
/// communicator.connect().await.assert_accepted();
/// assert_eq!(communicator.receive_from().await, Message::text("hello ada"));
/// assert!(communicator.receive_nothing().await);
/// communicator.disconnect(CloseCode::NORMAL).await;
/// # }
/// ```
pub struct WebsocketCommunicator {
    pub(super) app: BoxWebsocketApp,
    head: Parts,
    client: Option<SocketAddr>,
    pub(super) timeout: Duration,
    pub(super) capacity: usize,
    pub(super) connection: Option<Connection>,
}

/// A running application and the test's ends of its queues.
pub(super) struct Connection {
    pub(super) to_app: mpsc::Sender<Inbound>,
    pub(super) from_app: mpsc::Receiver<Output>,
    /// `None` once the task has been awaited to its end.
    pub(super) task: Option<JoinHandle<()>>,
    /// Dropped with the communicator: from then on the application has
    /// one timeout to finish before its task is cancelled.
    pub(super) _abandon: oneshot::Sender<()>,
    /// An output `receive_nothing` saw, kept for the next receive.
    pub(super) pending: Option<Output>,
    pub(super) state: State,
}

/// Where the connection is, as the test sees it.
#[derive(Clone, Debug)]
pub(super) enum State {
    Open,
    Rejected(StatusCode),
    /// The application closed, or ended; this close repeats for ever.
    Closed(CloseFrame),
    Disconnected,
}

impl WebsocketCommunicator {
    /// How long `connect`, the receives and `disconnect` wait by default: 1 s, as in Channels.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// How long [`receive_nothing`](Self::receive_nothing) waits by default: 0.1 s, as in Channels.
    pub const NOTHING_TIMEOUT: Duration = Duration::from_millis(100);

    /// How many messages each queue between the test and the application
    /// holds by default.
    pub const DEFAULT_CAPACITY: usize = 64;

    /// Creates a communicator that will open a WebSocket to `path` on `app`.
    ///
    /// `path` is what a client puts in its request line: it starts with
    /// `/`, may carry a query string, and is percent-encoded
    /// (`/ws/chat/caf%C3%A9/`). Nothing runs until [`connect`](Self::connect).
    ///
    /// # Panics
    ///
    /// Panics, with a fix, when `path` is not a valid request path.
    #[track_caller]
    pub fn new(app: impl WebsocketApp, path: &str) -> Self {
        Self {
            app: Arc::new(app),
            head: request::head(Method::GET, path),
            client: None,
            timeout: Self::DEFAULT_TIMEOUT,
            capacity: Self::DEFAULT_CAPACITY,
            connection: None,
        }
    }

    /// Adds a request header, such as `origin` or `cookie`.
    ///
    /// # Panics
    ///
    /// Panics when `name` or `value` is not valid in an HTTP header.
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        request::append_header(&mut self.head, name, value);
        self
    }

    /// Offers these subprotocols, in order of preference
    /// (`Sec-WebSocket-Protocol`).
    ///
    /// # Panics
    ///
    /// Panics when a subprotocol is not valid in an HTTP header.
    #[track_caller]
    pub fn subprotocols<I, S>(mut self, subprotocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list: Vec<String> = subprotocols
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect();
        self.head.headers.remove(header::SEC_WEBSOCKET_PROTOCOL);
        request::append_header(&mut self.head, "sec-websocket-protocol", &list.join(", "));
        self
    }

    /// Sets the query string (without the `?`), replacing one in the path.
    ///
    /// # Panics
    ///
    /// Panics when the result is not a valid request path.
    #[track_caller]
    pub fn query_string(mut self, query: &str) -> Self {
        request::set_query(&mut self.head, query);
        self
    }

    /// Sets the client's address, which the application finds in
    /// [`Scope::client`]. Unset, it is `None`, as in Channels' communicator.
    pub fn client(mut self, addr: SocketAddr) -> Self {
        self.client = Some(addr);
        self
    }

    /// Sets how long `connect`, the receives, `send_to` and `disconnect`
    /// wait before failing the test (1 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many messages each queue between the test and the
    /// application holds (64 by default).
    ///
    /// # Panics
    ///
    /// Panics when `capacity` is 0.
    #[track_caller]
    pub fn capacity(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "a queue needs room for at least one message");
        self.capacity = capacity;
        self
    }

    /// The scope the application gets, as the server would build it.
    pub(super) fn scope(&self) -> Scope {
        Scope::from_request_parts(ScopeKind::Websocket, &self.head).with_addrs(self.client, None)
    }
}

impl fmt::Debug for WebsocketCommunicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebsocketCommunicator")
            .field("uri", &self.head.uri)
            .field("client", &self.client)
            .field("timeout", &self.timeout)
            .field("capacity", &self.capacity)
            .field("state", &self.connection.as_ref().map(|c| &c.state))
            .finish_non_exhaustive()
    }
}
