//! The accept loop, server settings and graceful shutdown.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::__private::LogThrottle;
use aqueduct_routing::ProtocolTypeRouter;
use aqueduct_websocket::{Driver, Limits, Rate};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio_rustls::TlsAcceptor;

use crate::connection::{Addrs, Protocol, Shared, serve_connection};
use crate::error::TlsError;
use crate::proxy::TrustedProxies;
use crate::tls;

/// The largest request head by default: what nginx's default buffers
/// (four of 8 KiB) and Cloudflare accept, so a browser's request that got
/// through them, big cookies and all, fits; twice Node.js's 16 KiB.
const MAX_REQUEST_HEAD_SIZE: usize = 32 << 10;

/// hyper's smallest read buffer, below which it cannot read a head.
const MIN_REQUEST_HEAD_SIZE: usize = 8 << 10;

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An aqueduct server: binds a TCP listener and serves an application on it,
/// over plain HTTP/1.1, or over TLS with HTTP/2 and HTTP/1.1 chosen by ALPN.
///
/// Settings start at sane defaults (Daphne's where Daphne has one) and are
/// changed with builder methods.
///
/// ```no_run
/// use std::time::Duration;
/// use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
/// use aqueduct_server::Server;
///
/// # async fn run(app: ProtocolTypeRouter) -> Result<(), Box<dyn std::error::Error>> {
/// Server::bind("127.0.0.1:8443")
///     .await?
///     .max_message_size(64 * 1024)
///     .ping_interval(Duration::from_secs(30))
///     .tls_pem_files("cert.pem", "key.pem")?
///     .serve(app)
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct Server {
    listener: TcpListener,
    limits: Limits,
    proxies: Option<TrustedProxies>,
    max_request_head_size: usize,
    shutdown_timeout: Duration,
    tls: Option<TlsAcceptor>,
    signal: Option<Signal>,
}

impl Server {
    /// Binds a TCP listener to `addr`.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr).await?))
    }

    /// Serves on a listener that is already bound, such as one with
    /// `SO_REUSEPORT` set so that several processes share a port.
    pub fn from_listener(listener: TcpListener) -> Self {
        Self {
            listener,
            limits: Limits::default(),
            proxies: None,
            max_request_head_size: MAX_REQUEST_HEAD_SIZE,
            shutdown_timeout: Duration::from_secs(10),
            tls: None,
            signal: None,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves TLS (`https://` and `wss://`) with the certificate chain and
    /// private key in these PEM files, offering HTTP/2 and HTTP/1.1.
    ///
    /// Fails, saying which file and why, when a file cannot be read, holds
    /// no certificate or key, or the key does not fit the certificate.
    pub fn tls_pem_files(
        self,
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        let config = tls::from_pem_files(cert_chain.as_ref(), private_key.as_ref())?;
        Ok(self.tls(config))
    }

    /// Serves TLS with a prepared rustls config, for client certificates,
    /// certificate resolvers or a crypto provider of your choosing.
    ///
    /// A config with no ALPN protocols is given `h2` and `http/1.1`, so
    /// clients that speak HTTP/2 get it; one that lists its own keeps them.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use aqueduct_server::{Server, rustls};
    ///
    /// # async fn run(
    /// #     app: aqueduct_routing::ProtocolTypeRouter,
    /// #     resolver: Arc<dyn rustls::server::ResolvesServerCert>,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let config = rustls::ServerConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()?
    ///     .with_no_client_auth()
    ///     .with_cert_resolver(resolver);
    /// Server::bind("0.0.0.0:443").await?.tls(config).serve(app).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls(mut self, config: rustls::ServerConfig) -> Self {
        self.tls = Some(TlsAcceptor::from(Arc::new(tls::with_alpn(config))));
        self
    }

    /// Sets the largest message a client may send (default 1 MiB); larger
    /// ones close the connection with 1009.
    pub fn max_message_size(self, bytes: usize) -> Self {
        self.limit(|limits| limits.max_message_size(bytes))
    }

    /// Sets the largest frame a client may send (default 1 MiB); larger ones
    /// close the connection with 1009.
    pub fn max_frame_size(self, bytes: usize) -> Self {
        self.limit(|limits| limits.max_frame_size(bytes))
    }

    /// Sets the read buffer every connection keeps for its life (default
    /// 256 bytes). The socket is read in 8 KiB chunks whatever this is, so
    /// larger mostly costs memory; it saves copying for big messages.
    pub fn read_buffer_size(self, bytes: usize) -> Self {
        self.limit(|limits| limits.read_buffer_size(bytes))
    }

    /// Sets how long a client has to send its request head (and finish its
    /// TLS handshake), and `connect` to accept or deny (default 5 s). A
    /// handshake nobody answers in time gets HTTP 503.
    pub fn handshake_timeout(self, timeout: Duration) -> Self {
        self.limit(|limits| limits.handshake_timeout(timeout))
    }

    /// Sets how often the server checks that a client has sent something
    /// (default 20 s): one silent for a whole interval is pinged, so after
    /// one to two intervals of silence.
    pub fn ping_interval(self, interval: Duration) -> Self {
        self.limit(|limits| limits.ping_interval(interval))
    }

    /// Sets how long after a ping a silent client is dropped (default 30 s).
    pub fn ping_timeout(self, timeout: Duration) -> Self {
        self.limit(|limits| limits.ping_timeout(timeout))
    }

    /// Sets how long one message may take to go out before the client is
    /// judged too slow and dropped (default 10 s). This bounds what a client
    /// that stops reading can cost: its consumer waits at most this long, and
    /// meanwhile group messages beyond its channel's capacity are counted as
    /// missed, not stored (see the layer's `Overflow` policy).
    pub fn write_timeout(self, timeout: Duration) -> Self {
        self.limit(|limits| limits.write_timeout(timeout))
    }

    /// Sets how long to wait for the client's half of a close handshake (default 2 s).
    pub fn close_timeout(self, timeout: Duration) -> Self {
        self.limit(|limits| limits.close_timeout(timeout))
    }

    /// Sets how many WebSockets may be open at once, counting handshakes
    /// still being decided (default 50,000); a handshake past it gets
    /// HTTP 503. `None` lifts the limit. See [`Limits::max_connections`].
    pub fn max_connections(self, max: impl Into<Option<usize>>) -> Self {
        self.limit(|limits| limits.max_connections(max))
    }

    /// Sets how many WebSockets one client address may have open at once
    /// (default 1,000); a handshake past it gets HTTP 429. `None` lifts
    /// the limit.
    ///
    /// The address is the client's as [`proxy_headers`](Self::proxy_headers)
    /// resolves it; loopback clients are not counted, and an IPv6 client
    /// counts as its /64. See [`Limits::max_connections_per_ip`].
    pub fn max_connections_per_ip(self, max: impl Into<Option<usize>>) -> Self {
        self.limit(|limits| limits.max_connections_per_ip(max))
    }

    /// Sets how fast one client address may open WebSockets (default 20 a
    /// second, with a burst of 100); a handshake past it gets HTTP 429.
    /// `None` lifts the limit. See [`Limits::handshake_rate_per_ip`].
    pub fn handshake_rate_per_ip(self, rate: impl Into<Option<Rate>>) -> Self {
        self.limit(|limits| limits.handshake_rate_per_ip(rate))
    }

    /// Sets how fast one connection may send messages (default 1,000 a
    /// second, with a burst of 2,000); past it the connection is closed
    /// with 1008. `None` lifts the limit. See [`Limits::message_rate`].
    pub fn message_rate(self, rate: impl Into<Option<Rate>>) -> Self {
        self.limit(|limits| limits.message_rate(rate))
    }

    /// Sets the largest request head (request line and headers) a client
    /// may send (default 32 KiB); a larger one gets HTTP 431 (or, for a
    /// URI alone too long, 414). Over HTTP/2 it is the header list size
    /// the server advertises.
    ///
    /// The default fits the big cookie headers browsers send: it is what
    /// nginx's default buffers and Cloudflare accept.
    ///
    /// # Panics
    ///
    /// Below 8 KiB, the least hyper can read a head with.
    #[track_caller]
    pub fn max_request_head_size(mut self, bytes: usize) -> Self {
        assert!(
            bytes >= MIN_REQUEST_HEAD_SIZE,
            "max_request_head_size({bytes}) is below the 8 KiB hyper needs to read a request head; use at least 8192"
        );
        self.max_request_head_size = bytes;
        self
    }

    /// Believes the proxy headers (`X-Forwarded-For`, `X-Forwarded-Proto`
    /// and RFC 7239's `Forwarded`) of requests from `trusted` proxies, as
    /// uvicorn's `--proxy-headers --forwarded-allow-ips` and Daphne's
    /// `--proxy-headers` do: the scope's `client()` becomes the client the
    /// proxy names, and its scheme `wss` (or `https`) when the proxy says
    /// the client used TLS. Off by default.
    ///
    /// Requests from any other sender keep their own address, whatever
    /// headers they carry. Through several proxies, `X-Forwarded-For` is
    /// read from the right, passing over trusted proxies, and the first
    /// address that is not one is the client. The limits per address count
    /// that client, and HTTP requests carry it as an
    /// [`aqueduct_core::ClientAddr`] extension.
    ///
    /// ```no_run
    /// use aqueduct_server::{Server, TrustedProxies};
    ///
    /// # async fn run(app: aqueduct_routing::ProtocolTypeRouter) -> Result<(), Box<dyn std::error::Error>> {
    /// // nginx on the same host:
    /// Server::bind("127.0.0.1:8000").await?.proxy_headers(TrustedProxies::loopback());
    /// // A load balancer on the private network:
    /// Server::bind("0.0.0.0:8000")
    ///     .await?
    ///     .proxy_headers("10.0.0.0/8".parse()?)
    ///     .serve(app)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn proxy_headers(mut self, trusted: TrustedProxies) -> Self {
        self.proxies = Some(trusted);
        self
    }

    /// Sets how long a graceful shutdown waits for connections to finish
    /// their disconnect hooks (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Replaces every WebSocket limit and timeout at once with `limits`,
    /// the type `ProtocolTypeRouter::limits` takes, so that one value can
    /// serve both hosts. The methods above change one setting each.
    ///
    /// ```no_run
    /// use aqueduct_server::Server;
    /// use aqueduct_websocket::{Limits, Rate};
    ///
    /// # async fn run(app: aqueduct_routing::ProtocolTypeRouter) -> std::io::Result<()> {
    /// let limits = Limits::new().message_rate(Rate::per_second(50).burst(100));
    /// Server::bind("127.0.0.1:8000").await?.limits(limits).serve(app).await
    /// # }
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn limit(mut self, set: impl FnOnce(Limits) -> Limits) -> Self {
        self.limits = set(self.limits);
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
            limits,
            proxies,
            max_request_head_size,
            shutdown_timeout,
            tls,
            signal,
        } = self;
        let mut signal = signal.unwrap_or_else(|| Box::pin(terminate()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(
            addr = %listener.local_addr()?,
            scheme,
            trusted_proxies = proxies.as_ref().map(tracing::field::display),
            "aqueduct listening"
        );
        let shared = Arc::new(Shared {
            app: app.into(),
            driver: Driver::new(limits),
            proxies,
            max_request_head_size,
            head_too_large: LogThrottle::new(),
        });
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, client)) => serve_accepted(stream, client, tls.as_ref(), &shared),
                    Err(err) => accept_failed(err).await,
                },
                () = signal.as_mut() => break,
            }
        }
        drop(listener);
        shared.driver.shutdown(shutdown_timeout).await;
        Ok(())
    }
}

/// Serves one accepted connection in a task of its own, after a TLS
/// handshake if the server has TLS.
fn serve_accepted(
    stream: TcpStream,
    client: SocketAddr,
    tls: Option<&TlsAcceptor>,
    shared: &Arc<Shared>,
) {
    // Small messages are the norm; Nagle's algorithm would hold each one back.
    let _ = stream.set_nodelay(true);
    let addrs = Addrs {
        client,
        server: stream.local_addr().ok(),
        tls: tls.is_some(),
    };
    let task_shared = shared.clone();
    let Some(tls) = tls.cloned() else {
        let serve = serve_connection(stream, Protocol::Http1, addrs, task_shared);
        return shared.driver.spawn(serve);
    };
    let timeout = shared.driver.limits().get_handshake_timeout();
    shared.driver.spawn(async move {
        let stream = match tokio::time::timeout(timeout, tls.accept(stream)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return tracing::debug!(%client, error = %err, "TLS handshake failed"),
            Err(_) => return tracing::debug!(%client, "TLS handshake timed out"),
        };
        let protocol = match stream.get_ref().1.alpn_protocol() {
            Some(b"h2") => Protocol::Http2,
            _ => Protocol::Http1,
        };
        serve_connection(stream, protocol, addrs, task_shared).await;
    });
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
            .field("limits", &self.limits)
            .field("proxies", &self.proxies)
            .field("max_request_head_size", &self.max_request_head_size)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}
