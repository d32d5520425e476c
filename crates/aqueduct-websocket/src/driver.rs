//! What a host does with a WebSocket handshake: start the application,
//! and answer with whatever its `connect` decides.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::__private::text_response;
use aqueduct_core::{Body, Scope, ScopeKind, WebsocketIo};
use http::{Request, Response, StatusCode};
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::admission::Admission;
use crate::handshake::accepting;
use crate::io::DriverIo;
use crate::limits::Limits;
use crate::open::take_heartbeat_param;
use crate::shutdown::Shutdown;

/// Drives WebSocket connections for one host: their limits, the tasks
/// that run them, and the signal that closes them all.
///
/// aqueduct's `Server` holds one and shuts it down with the server. A
/// `ProtocolTypeRouter` mounted in another host (axum) holds its own;
/// [`shutdown`](Self::shutdown) is then how that host closes the
/// WebSockets, which it no longer sees once they are upgraded.
///
/// Clones share everything: the tasks, the signal, the limits and what
/// they count.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_websocket::{Driver, Limits};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let driver = Driver::new(Limits::new().ping_interval(Duration::from_secs(30)));
/// assert_eq!(driver.connections(), 0);
/// assert!(driver.shutdown(Duration::from_secs(1)).await, "nothing to wait for");
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Driver {
    limits: Arc<Limits>,
    admission: Arc<Admission>,
    shutdown: Shutdown,
    tracker: TaskTracker,
}

impl Driver {
    /// A driver with `limits` for every connection.
    pub fn new(limits: Limits) -> Self {
        Self {
            admission: Arc::new(Admission::new(&limits)),
            limits: Arc::new(limits),
            ..Self::default()
        }
    }

    /// The limits every connection gets.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many tasks are running: WebSocket connections, and anything the
    /// host [`spawn`](Self::spawn)ed.
    pub fn connections(&self) -> usize {
        self.tracker.len()
    }

    /// Runs `task` alongside the connections, so that
    /// [`shutdown`](Self::shutdown) waits for it too. aqueduct's server
    /// spawns its HTTP connections here.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }

    /// Completes once [`shutdown`](Self::shutdown) has begun.
    pub async fn shutdown_started(&self) {
        self.shutdown.wait().await;
    }

    /// Closes every WebSocket with 1001 (Going Away), lets their
    /// `disconnect` hooks run, and waits at most `deadline` for them.
    /// Returns whether everything finished in time.
    ///
    /// New handshakes after this are still served, and closed at once.
    pub async fn shutdown(&self, deadline: Duration) -> bool {
        tracing::info!(
            connections = self.tracker.len(),
            "shutting down: closing every connection"
        );
        self.shutdown.start();
        self.tracker.close();
        let finished = tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_ok();
        if !finished {
            tracing::warn!(
                still_running = self.tracker.len(),
                ?deadline,
                "shutdown deadline passed; abandoning the rest"
            );
        }
        finished
    }

    /// Answers a WebSocket handshake (see
    /// [`is_websocket_request`](crate::is_websocket_request)): runs `app`
    /// on the connection in a task of its own, and resolves to the
    /// response its `connect` decides, `101` (or `200` over HTTP/2) once it
    /// accepts, or its refusal.
    ///
    /// `client` and `server` are the connection's addresses, where the host
    /// knows them; they go into the scope. `client` is also the address
    /// the [limits](Limits) per client count; a host behind a proxy passes
    /// the client the proxy names. A handshake past a limit is refused
    /// (503 or 429) before `app` sees it.
    pub fn handshake<B, A, F>(
        &self,
        mut request: Request<B>,
        client: Option<SocketAddr>,
        server: Option<SocketAddr>,
        app: A,
    ) -> impl Future<Output = Response<Body>> + Send + 'static
    where
        A: FnOnce(Scope, Box<dyn WebsocketIo>) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let accepting = accepting(&request);
        let upgrade = hyper::upgrade::on(&mut request);
        let (parts, _) = request.into_parts();
        let mut scope =
            Scope::from_request_parts(ScopeKind::Websocket, &parts).with_addrs(client, server);
        let heartbeat_requested = take_heartbeat_param(&mut scope);
        let span = tracing::info_span!(
            "websocket",
            path = %scope.path(),
            client = client.map(tracing::field::display),
            channel = tracing::field::Empty,
        );
        let admitted = span.in_scope(|| self.admission.admit(client.map(|client| client.ip())));
        let started = match (admitted, accepting) {
            (Err(refusal), _) => Err(refusal.response()),
            (Ok(_), Err(err)) => Err(span.in_scope(|| bad_handshake(err))),
            (Ok(admitted), Ok(accepting)) => {
                let (respond, decision) = oneshot::channel();
                let io = DriverIo::new(
                    accepting,
                    respond,
                    upgrade,
                    self.limits.clone(),
                    self.admission.clone(),
                    self.shutdown.clone(),
                    heartbeat_requested,
                );
                let run = app(scope, Box::new(io));
                // The application's task owns the consumer and, after the
                // upgrade, the socket: one task per connection from here
                // on. It holds the admission, so the connection counts
                // until the application is done with it, disconnect hook
                // included.
                let task = async move {
                    let _admitted = admitted;
                    run.await;
                };
                self.tracker.spawn(task.instrument(span.clone()));
                Ok(decision)
            }
        };
        let timeout = self.limits.handshake_timeout;
        async move {
            let decision = match started {
                Ok(decision) => decision,
                Err(refusal) => return refusal,
            };
            match tokio::time::timeout(timeout, decision).await {
                Ok(Ok(response)) => response,
                Ok(Err(_)) => {
                    tracing::error!("application ended without answering the handshake");
                    text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                }
                Err(_) => {
                    tracing::warn!(?timeout, "connect neither accepted nor denied in time");
                    text_response(StatusCode::SERVICE_UNAVAILABLE, "the handshake timed out")
                }
            }
        }
        .instrument(span)
    }
}

/// The answer to a handshake that breaks RFC 6455 (or RFC 8441).
fn bad_handshake(err: &'static str) -> Response<Body> {
    tracing::info!(error = err, "bad websocket handshake");
    text_response(
        StatusCode::BAD_REQUEST,
        format!("bad WebSocket handshake: {err}"),
    )
}
