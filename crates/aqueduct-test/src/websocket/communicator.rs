//! `WebsocketCommunicator`: what a test builds, connects and disconnects.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{
    BoxWebsocketApp, CloseCode, CloseFrame, Inbound, Message, Scope, ScopeKind, WebsocketApp,
};
use http::request::Parts;
use http::{Method, StatusCode, header};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout, timeout_at};

use super::io::TestIo;
use super::outcome::{Connected, Output};
use super::task::spawn_app;
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
/// ```
/// use aqueduct_core::{CloseCode, Context, Message, Result, WebsocketConsumer};
/// use aqueduct_test::WebsocketCommunicator;
/// use async_trait::async_trait;
///
/// /// Greets each client by the name in its query string.
/// #[derive(Default)]
/// struct Greeter;
///
/// #[async_trait]
/// impl WebsocketConsumer for Greeter {
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
    app: BoxWebsocketApp,
    head: Parts,
    client: Option<SocketAddr>,
    pub(super) timeout: Duration,
    pub(super) capacity: usize,
    pub(super) connection: Option<Connection>,
}

/// A running application and the test's ends of its queues.
pub(super) struct Connection {
    to_app: mpsc::Sender<Inbound>,
    pub(super) from_app: mpsc::Receiver<Output>,
    /// `None` once the task has been awaited to its end.
    task: Option<JoinHandle<()>>,
    /// Dropped with the communicator: from then on the application has
    /// one timeout to finish before its task is cancelled.
    _abandon: oneshot::Sender<()>,
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
    fn scope(&self) -> Scope {
        Scope::from_request_parts(ScopeKind::Websocket, &self.head).with_addrs(self.client, None)
    }

    /// Starts the application and waits for it to accept or refuse the
    /// handshake (Channels' `connect`).
    ///
    /// # Panics
    ///
    /// Panics when called twice, or when the application neither accepts
    /// nor refuses within the timeout.
    pub async fn connect(&mut self) -> Connected {
        self.connect_timeout(self.timeout).await
    }

    /// [`connect`](Self::connect), waiting at most `timeout`.
    ///
    /// # Panics
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_timeout(&mut self, timeout: Duration) -> Connected {
        assert!(
            self.connection.is_none(),
            "connect was already called: make a new WebsocketCommunicator for each connection"
        );
        let (to_app, inbound) = mpsc::channel(self.capacity);
        let (outbound, from_app) = mpsc::channel(self.capacity);
        let (answer, answered) = oneshot::channel();
        let (abandon, abandoned) = oneshot::channel();
        let io = TestIo::new(inbound, outbound, answer);
        let task = spawn_app(self.app.clone(), self.scope(), io, abandoned, self.timeout);
        let connection = self.connection.insert(Connection {
            to_app,
            from_app,
            task: Some(task),
            _abandon: abandon,
            pending: None,
            state: State::Open,
        });
        let connected = match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(connected)) => connected,
            // As the server does when the application ends (or panics)
            // without answering.
            Ok(Err(_)) => Connected::Rejected {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                headers: http::HeaderMap::new(),
                body: "Internal Server Error".to_owned(),
            },
            Err(_) => panic!(
                "connect timed out after {timeout:?}: the application neither accepted nor \
                 refused the handshake. Does its connect hook call ctx.accept()? If it is \
                 slow on purpose, use connect_timeout"
            ),
        };
        if let Connected::Rejected { status, .. } = &connected {
            connection.state = State::Rejected(*status);
        }
        connected
    }

    /// Sends a text or binary message to the application (Channels' `send_to`).
    ///
    /// `&str` and `String` make text messages; `Vec<u8>` and `Bytes` make
    /// binary ones. A message sent after the application closed is
    /// dropped, as on a socket.
    ///
    /// # Panics
    ///
    /// Panics before an accepted [`connect`](Self::connect), after
    /// [`disconnect`](Self::disconnect), or when the application's inbound
    /// queue stays full for the whole timeout.
    pub async fn send_to(&mut self, message: impl Into<Message>) {
        let (wait, capacity) = (self.timeout, self.capacity);
        let connection = self.live("send_to");
        let sent = timeout(
            wait,
            connection.to_app.send(Inbound::Receive(message.into())),
        )
        .await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(_)) => tracing::debug!("the application has ended; message dropped"),
            Err(_) => panic!(
                "send_to timed out after {wait:?}: the application's inbound queue (capacity \
                 {capacity}) stayed full. Is it blocked sending output this test has not \
                 received? Receive it first, or raise WebsocketCommunicator::capacity"
            ),
        }
    }

    /// Sends `value` as JSON in a text message (Channels' `send_json_to`).
    ///
    /// # Panics
    ///
    /// As [`send_to`](Self::send_to), and when `value` does not serialize.
    pub async fn send_json_to<T: Serialize + ?Sized>(&mut self, value: &T) {
        let text = serde_json::to_string(value)
            .unwrap_or_else(|err| panic!("send_json_to: the value does not serialize: {err}"));
        self.send_to(text).await;
    }

    /// Closes the connection from the client's side with `code`, and waits
    /// for the application to finish: when this returns, its disconnect
    /// hook has run (Channels' `disconnect`).
    ///
    /// After the application closed or refused the connection itself, the
    /// code is not delivered (the conversation already ended with the
    /// application's code) and this only waits. Calling it again, or
    /// before [`connect`](Self::connect), does nothing.
    ///
    /// # Panics
    ///
    /// Panics when the application does not finish within the timeout,
    /// and re-raises a panic that ended its task (a consumer's panics are
    /// caught before that, and become 500 or 1011).
    pub async fn disconnect(&mut self, code: impl Into<CloseCode>) {
        let code = code.into();
        let wait = self.timeout;
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        connection.state = State::Disconnected;
        let Some(task) = connection.task.as_mut() else {
            return;
        };
        let deadline = Instant::now() + wait;
        // An application that stopped reading (it closed, or refused) never
        // takes this; the send then fails or times out, and we wait anyway.
        let _ = timeout_at(deadline, connection.to_app.send(Inbound::Disconnect(code))).await;
        match timeout_at(deadline, task).await {
            Ok(Ok(())) => connection.task = None,
            Ok(Err(err)) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Ok(Err(_)) => connection.task = None,
            Err(_) => panic!(
                "disconnect timed out after {wait:?}: the application did not finish after the \
                 client left. Is its disconnect hook waiting for something?"
            ),
        }
    }

    /// The connection, for `method`; fails the test unless it is running.
    #[track_caller]
    pub(super) fn live(&mut self, method: &str) -> &mut Connection {
        let Some(connection) = self.connection.as_mut() else {
            panic!("{method} called before connect(): connect first, and check it was accepted")
        };
        match &connection.state {
            State::Rejected(status) => panic!(
                "{method}: the handshake was rejected with {status}, so nothing flows; \
                 check the result of connect()"
            ),
            State::Disconnected => {
                panic!("{method} called after disconnect(): the connection is over")
            }
            State::Open | State::Closed(_) => connection,
        }
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
