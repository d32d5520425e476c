//! Long-polling and Server-Sent Events: the same WebSocket consumers,
//! reached over plain HTTP where WebSocket does not get through.
//!
//! A client that cannot open a WebSocket at a path opens a *session* at
//! the same path over HTTP instead, with the query parameter
//! `transport=longpoll` or `transport=sse`. The application (routers,
//! middleware, the consumer) runs on the session exactly as on a
//! WebSocket: `connect`, `receive`, events, groups and `disconnect` behave
//! the same, and [`Scope::transport`](aqueduct_core::Scope::transport)
//! says which transport it is. `docs/topics/client.md` describes the
//! protocol on the wire; `aqueduct.js` speaks it.

mod io;
mod requests;
mod session;
mod wire;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{Body, BoxWebsocketApp, Transport};
use aqueduct_websocket::Driver;
use http::{Request, Response};

use self::requests::Ask;
use self::session::Registry;

/// The long-polling and SSE transports of an application's WebSocket
/// consumers, with their settings. Clones share the sessions.
///
/// Mounted with `ProtocolTypeRouter::transports`, which answers transport
/// requests at every WebSocket path with the websocket arm, so the
/// origin and authentication middleware there apply to them too.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_http::Transports;
///
/// let transports = Transports::new()
///     .poll_timeout(Duration::from_secs(25))
///     .max_sessions(1_000);
/// assert_eq!(transports.sessions(), 0);
/// ```
#[derive(Clone, Default)]
pub struct Transports {
    config: Arc<Config>,
    registry: Arc<Registry>,
}

#[derive(Clone, Debug)]
struct Config {
    poll_timeout: Duration,
    session_timeout: Duration,
    max_sessions: usize,
    max_queued: usize,
    max_queued_bytes: usize,
    max_inbound: usize,
    keep_alive: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            // Below the 60 s after which many proxies and load balancers
            // cut a response that sends nothing.
            poll_timeout: Duration::from_secs(30),
            // A poll's length, and 15 s for the client to send the next.
            session_timeout: Duration::from_secs(45),
            // Each idle session costs about what an idle WebSocket does.
            max_sessions: 10_000,
            max_queued: 256,
            max_queued_bytes: 4 << 20,
            max_inbound: 64,
            keep_alive: Duration::from_secs(15),
        }
    }
}

impl Transports {
    /// The transports with their defaults: polls held 30 s, sessions
    /// abandoned after 45 s without a poll, at most 10,000 sessions, and
    /// at most 256 messages (4 MiB) queued for each client.
    pub fn new() -> Self {
        Self::default()
    }

    fn config(mut self, edit: impl FnOnce(&mut Config)) -> Self {
        edit(Arc::make_mut(&mut self.config));
        self
    }

    /// How long a poll waits for something to send (30 s by default).
    pub fn poll_timeout(self, timeout: Duration) -> Self {
        self.config(|config| config.poll_timeout = timeout)
    }

    /// How long a session lives with no poll waiting before it counts as
    /// abandoned and its consumer sees disconnect 1006 (45 s by default).
    pub fn session_timeout(self, timeout: Duration) -> Self {
        self.config(|config| config.session_timeout = timeout)
    }

    /// The most sessions open at once (10,000 by default); past it, an
    /// open gets `503 Service Unavailable`.
    pub fn max_sessions(self, max: usize) -> Self {
        self.config(|config| config.max_sessions = max)
    }

    /// The most messages, and bytes, queued for one client that has not
    /// polled for them (256 and 4 MiB by default). A consumer that sends
    /// more waits, as it waits for a WebSocket client that does not read,
    /// and the session is dropped when that wait passes the write
    /// timeout of the limits.
    pub fn max_queued(self, messages: usize, bytes: usize) -> Self {
        self.config(|config| {
            config.max_queued = messages.max(1);
            config.max_queued_bytes = bytes;
        })
    }

    /// How often an idle SSE stream gets a comment line, so proxies do not
    /// cut it (15 s by default).
    pub fn keep_alive(self, interval: Duration) -> Self {
        self.config(|config| config.keep_alive = interval)
    }

    /// How many sessions are open.
    pub fn sessions(&self) -> usize {
        self.registry.len()
    }

    /// The transport a request asks for, from its `transport` query
    /// parameter: `Some` for a request the transports answer.
    ///
    /// ```
    /// use aqueduct_core::Transport;
    /// use aqueduct_http::Transports;
    ///
    /// let poll = http::Request::get("/ws/chat/lobby/?transport=longpoll&session=x").body(()).unwrap();
    /// assert_eq!(Transports::requested(&poll), Some(Transport::LongPolling));
    /// let page = http::Request::get("/chat/lobby/").body(()).unwrap();
    /// assert_eq!(Transports::requested(&page), None);
    /// ```
    pub fn requested<B>(request: &Request<B>) -> Option<Transport> {
        let query = request.uri().query()?;
        if !query.contains("transport=") {
            return None;
        }
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "transport")
            .and_then(|(_, value)| match &*value {
                "longpoll" => Some(Transport::LongPolling),
                "sse" => Some(Transport::ServerSentEvents),
                _ => None,
            })
    }

    /// Answers a transport request (one [`requested`](Self::requested)
    /// names a transport for): opens a session and runs `app` on it, or
    /// polls, streams or sends on an open one. Sessions run as tasks of
    /// `driver`, with its limits, and end with 1001 when it shuts down.
    pub fn serve(
        &self,
        request: Request<Body>,
        driver: &Driver,
        app: BoxWebsocketApp,
    ) -> impl Future<Output = Response<Body>> + Send + 'static + use<> {
        let config = self.config.clone();
        let registry = self.registry.clone();
        let driver = driver.clone();
        async move {
            let Some(transport) = Self::requested(&request) else {
                return requests::bad_request("`transport` is `longpoll` or `sse`");
            };
            let ask = match requests::ask(&request, transport) {
                Ok(ask) => ask,
                Err(reject) => return reject.into_response(),
            };
            match ask {
                Ask::Open(transport) => {
                    requests::open(request, transport, config, registry, driver, app).await
                }
                Ask::Poll { session, ack } => {
                    requests::poll(&session, ack, &config, &registry).await
                }
                Ask::Stream { session, ack } => requests::stream(&session, ack, &config, &registry),
                Ask::Send { session } => {
                    requests::send(request, &session, &registry, &driver).await
                }
            }
        }
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("config", &self.config)
            .field("sessions", &self.sessions())
            .finish()
    }
}
