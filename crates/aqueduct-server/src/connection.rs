//! One connection: HTTP/1.1 or HTTP/2 requests, and WebSocket handshakes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use aqueduct_core::__private::LogThrottle;
use aqueduct_core::{Body, ClientAddr, WebsocketApp};
use aqueduct_routing::ProtocolTypeRouter;
use aqueduct_websocket::{Driver, is_websocket_request};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri, header};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

use crate::proxy::{TrustedProxies, resolve};

/// What every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) app: ProtocolTypeRouter,
    pub(crate) driver: Driver,
    /// Whose proxy headers to believe, if anyone's.
    pub(crate) proxies: Option<TrustedProxies>,
    pub(crate) max_request_head_size: usize,
    /// Requests refused for a head over the limit, logged once a second.
    pub(crate) head_too_large: LogThrottle,
}

/// The addresses of one connection, and whether it came over TLS.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Addrs {
    pub(crate) client: SocketAddr,
    pub(crate) server: Option<SocketAddr>,
    pub(crate) tls: bool,
}

/// Which HTTP the connection speaks: HTTP/2 only when TLS's ALPN chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http1,
    Http2,
}

/// Serves `io` until the client leaves, every request on it is done
/// (an HTTP/1.1 connection that upgraded to a WebSocket is done), or the
/// server shuts down.
pub(crate) async fn serve_connection<I>(
    io: I,
    protocol: Protocol,
    addrs: Addrs,
    shared: Arc<Shared>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let driver = shared.driver.clone();
    let header_timeout = driver.limits().get_handshake_timeout();
    let head_size = shared.max_request_head_size;
    let service_shared = shared.clone();
    let service = service_fn(move |request| {
        let shared = service_shared.clone();
        async move { Ok::<_, Infallible>(handle(request, shared, addrs).await) }
    });
    // A TCP stream goes to hyper as it is, never wrapped: the WebSocket
    // driver takes it back out of the upgrade and reads it directly.
    let io = TokioIo::new(io);
    let result = match protocol {
        Protocol::Http1 => {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                // hyper answers 431 itself once this much arrives without
                // the end of the head; it reads bodies in chunks up to this
                // size, which costs nothing measurable.
                .max_buf_size(head_size)
                .serve_connection(io, service)
                .with_upgrades();
            until_shutdown(connection, &driver, |c| c.graceful_shutdown()).await
        }
        Protocol::Http2 => {
            let connection = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                // RFC 8441: WebSockets over HTTP/2 streams, by extended CONNECT.
                .enable_connect_protocol()
                // Advertised in SETTINGS; h2 answers a larger header list
                // with 431 on its stream.
                .max_header_list_size(u32::try_from(head_size).unwrap_or(u32::MAX))
                .serve_connection(io, service);
            until_shutdown(connection, &driver, |c| c.graceful_shutdown()).await
        }
    };
    match result {
        Err(err) if err.is_parse_too_large() => {
            if let Some(suppressed) = shared.head_too_large.hit() {
                tracing::info!(
                    client = %addrs.client,
                    limit = head_size,
                    suppressed,
                    "refused a request: its head is larger than max_request_head_size (431), or its URI too long (414)"
                );
            }
        }
        Err(err) => {
            tracing::debug!(client = %addrs.client, error = %err, "http connection ended with an error");
        }
        Ok(()) => {}
    }
}

/// Runs `connection`, asking it to finish gracefully once shutdown begins.
async fn until_shutdown<C>(
    connection: C,
    driver: &Driver,
    graceful: impl FnOnce(Pin<&mut C>),
) -> Result<(), hyper::Error>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => result,
        () = driver.shutdown_started() => {
            graceful(connection.as_mut());
            connection.await
        }
    }
}

async fn handle(
    mut request: Request<Incoming>,
    shared: Arc<Shared>,
    addrs: Addrs,
) -> Response<Body> {
    // The client behind a trusted proxy, before anything counts it: the
    // limits per address must count the client, not the proxy.
    let (client, secure) = match &shared.proxies {
        Some(trusted) => {
            let resolved = resolve(trusted, addrs.client, request.headers());
            (resolved.client, resolved.secure.unwrap_or(addrs.tls))
        }
        None => (addrs.client, addrs.tls),
    };
    set_scheme(&mut request, secure);
    if is_websocket_request(&request) {
        let driver = shared.driver.clone();
        let run = move |scope, io| async move { shared.app.call(scope, io).await };
        return driver
            .handshake(request, Some(client), addrs.server, run)
            .await;
    }
    let span = tracing::debug_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        client = %client,
    );
    request.extensions_mut().insert(ClientAddr(client));
    // Long-polling sessions run as tasks of the server's driver, so that
    // they end with its shutdown as WebSockets do.
    request.extensions_mut().insert(shared.driver.clone());
    let request = request.map(Body::new);
    shared.app.call_http(request).instrument(span).await
}

/// Gives a request the scheme the client used: an HTTP/1.1 request that
/// came over TLS (or through a proxy that says the client used it) gets the
/// absolute `https` URI that an HTTP/2 request has anyway, so that the
/// scope says `https` or `wss`, and the http arm sees the scheme the client
/// used; one a proxy says came over plain HTTP loses its `https`.
fn set_scheme<B>(request: &mut Request<B>, secure: bool) {
    let scheme = if secure { Scheme::HTTPS } else { Scheme::HTTP };
    match request.uri().scheme() {
        Some(current) if *current == scheme => return,
        // A URI with no scheme reads as plain HTTP already.
        None if !secure => return,
        _ => {}
    }
    let mut parts = request.uri().clone().into_parts();
    if parts.authority.is_none() {
        let Some(host) = request.headers().get(header::HOST) else {
            return;
        };
        parts.authority = Authority::try_from(host.as_bytes()).ok();
    }
    parts.scheme = Some(scheme);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    if let Ok(uri) = Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_get_the_scheme_the_client_used() {
        #[rustfmt::skip]
        let table = [
            ("/chat/?x=1",                   Some("example.com:8443"), true,  "https://example.com:8443/chat/?x=1"),
            ("/chat/",                       None,                     true,  "/chat/"),
            ("https://other.example/chat/",  Some("example.com"),      true,  "https://other.example/chat/"),
            ("/chat/",                       Some("example.com"),      false, "/chat/"),
            ("https://example.com/chat/",    Some("example.com"),      false, "http://example.com/chat/"),
        ];
        for (uri, host, secure, expected) in table {
            let mut request = Request::get(uri);
            if let Some(host) = host {
                request = request.header(header::HOST, host);
            }
            let mut request = request.body(()).unwrap();
            set_scheme(&mut request, secure);
            assert_eq!(request.uri().to_string(), expected, "{uri} secure={secure}");
        }
    }
}
