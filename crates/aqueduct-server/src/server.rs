//! The accept loop, server settings and graceful shutdown.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::shutdown::Shutdown;
use aqueduct_routing::ProtocolTypeRouter;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::connection::{Shared, serve_connection};

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An aqueduct server: binds a TCP listener and serves an application on it.
///
/// Settings start at sane defaults (Daphne's where Daphne has one) and are
/// changed with builder methods.
///
/// ```no_run
/// use std::time::Duration;
/// use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
/// use aqueduct_server::Server;
///
/// # async fn run(app: ProtocolTypeRouter) -> std::io::Result<()> {
/// Server::bind("127.0.0.1:8000")
///     .await?
///     .max_message_size(64 * 1024)
///     .ping_interval(Duration::from_secs(30))
///     .serve(app)
///     .await
/// # }
/// ```
pub struct Server {
    listener: TcpListener,
    config: Config,
    signal: Option<Signal>,
}

impl Server {
    /// Binds a TCP listener to `addr`.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr).await?))
    }

    /// Serves on a listener that is already bound.
    pub fn from_listener(listener: TcpListener) -> Self {
        Self {
            listener,
            config: Config::default(),
            signal: None,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Sets the largest message a client may send (default 1 MiB); larger
    /// ones close the connection with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// Sets the largest frame a client may send (default 1 MiB); larger ones
    /// close the connection with 1009.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes;
        self
    }

    /// Sets the read buffer every connection keeps for its life (default
    /// 256 bytes). The socket is read in 8 KiB chunks whatever this is, so
    /// larger mostly costs memory; it saves copying for big messages.
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.config.read_buffer_size = bytes;
        self
    }

    /// Sets how long a client has to send its request head, and `connect`
    /// to accept or deny (default 5 s). A handshake nobody answers in time
    /// gets HTTP 503.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.handshake_timeout = timeout;
        self
    }

    /// Sets how often the server checks that a client has sent something
    /// (default 20 s): one silent for a whole interval is pinged, so after
    /// one to two intervals of silence.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.ping_interval = interval;
        self
    }

    /// Sets how long after a ping a silent client is dropped (default 30 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.config.ping_timeout = timeout;
        self
    }

    /// Sets how long one message may take to go out before the client is
    /// judged too slow and dropped (default 10 s). This bounds what a client
    /// that stops reading can cost: its consumer waits at most this long, and
    /// meanwhile group messages beyond its channel's capacity are skipped.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout = timeout;
        self
    }

    /// Sets how long to wait for the client's half of a close handshake (default 2 s).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.config.close_timeout = timeout;
        self
    }

    /// Sets how long a graceful shutdown waits for connections to finish
    /// their disconnect hooks (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// Shuts down gracefully when `signal` completes, instead of on Ctrl-C
    /// or SIGTERM.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// Serves `app` until the shutdown signal, then shuts down gracefully:
    /// stops accepting, closes every WebSocket with 1001, lets disconnect
    /// hooks run, and returns within the shutdown timeout.
    pub async fn serve(self, app: impl Into<ProtocolTypeRouter>) -> io::Result<()> {
        let Self {
            listener,
            config,
            signal,
        } = self;
        let shared = Arc::new(Shared {
            app: app.into(),
            config: Arc::new(config),
            tracker: TaskTracker::new(),
            shutdown: Shutdown::default(),
        });
        let mut signal = signal.unwrap_or_else(|| Box::pin(terminate()));
        tracing::info!(addr = %listener.local_addr()?, "aqueduct listening");
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, client)) => {
                        shared.tracker.spawn(serve_connection(stream, client, shared.clone()));
                    }
                    Err(err) => accept_failed(err).await,
                },
                () = signal.as_mut() => break,
            }
        }
        drop(listener);
        shutdown(&shared).await;
        Ok(())
    }
}

async fn shutdown(shared: &Shared) {
    tracing::info!(
        connections = shared.tracker.len(),
        "shutting down: closing every connection"
    );
    shared.shutdown.start();
    shared.tracker.close();
    let deadline = shared.config.shutdown_timeout;
    if tokio::time::timeout(deadline, shared.tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            still_running = shared.tracker.len(),
            ?deadline,
            "shutdown deadline passed; abandoning the rest"
        );
    }
}

/// Errors from `accept` are about one connection or a passing shortage of
/// file descriptors; neither should stop the server.
async fn accept_failed(err: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionReset | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %err, "accept failed; retrying shortly");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Completes on Ctrl-C, or SIGTERM on Unix.
async fn terminate() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
