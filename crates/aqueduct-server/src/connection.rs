//! One connection: HTTP/1.1 or HTTP/2 requests, and WebSocket handshakes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use aqueduct_core::{Body, WebsocketApp};
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

/// What every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) app: ProtocolTypeRouter,
    pub(crate) driver: Driver,
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
    let service = service_fn(move |request| {
        let shared = shared.clone();
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
                .serve_connection(io, service)
                .with_upgrades();
            until_shutdown(connection, &driver, |c| c.graceful_shutdown()).await
        }
        Protocol::Http2 => {
            let connection = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                // RFC 8441: WebSockets over HTTP/2 streams, by extended CONNECT.
                .enable_connect_protocol()
                .serve_connection(io, service);
            until_shutdown(connection, &driver, |c| c.graceful_shutdown()).await
        }
    };
    if let Err(err) = result {
        tracing::debug!(client = %addrs.client, error = %err, "http connection ended with an error");
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
    if addrs.tls {
        mark_https(&mut request);
    }
    if is_websocket_request(&request) {
        let driver = shared.driver.clone();
        let run = move |scope, io| async move { shared.app.call(scope, io).await };
        return driver
            .handshake(request, Some(addrs.client), addrs.server, run)
            .await;
    }
    let span = tracing::debug_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        client = %addrs.client,
    );
    let request = request.map(Body::new);
    shared.app.call_http(request).instrument(span).await
}

/// Gives an HTTP/1.1 request that came over TLS the absolute `https` URI
/// that an HTTP/2 request has anyway, so that the scope says `https` or
/// `wss`, and the http arm sees the scheme the client used.
fn mark_https<B>(request: &mut Request<B>) {
    if request.uri().scheme().is_some() {
        return;
    }
    let Some(host) = request.headers().get(header::HOST) else {
        return;
    };
    let mut parts = request.uri().clone().into_parts();
    parts.scheme = Some(Scheme::HTTPS);
    parts.authority = Authority::try_from(host.as_bytes()).ok();
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
    fn requests_over_tls_get_an_https_uri() {
        #[rustfmt::skip]
        let table = [
            ("/chat/?x=1",                   Some("example.com:8443"), "https://example.com:8443/chat/?x=1"),
            ("/chat/",                       None,                     "/chat/"),
            ("https://other.example/chat/",  Some("example.com"),      "https://other.example/chat/"),
        ];
        for (uri, host, expected) in table {
            let mut request = Request::get(uri);
            if let Some(host) = host {
                request = request.header(header::HOST, host);
            }
            let mut request = request.body(()).unwrap();
            mark_https(&mut request);
            assert_eq!(request.uri().to_string(), expected);
        }
    }
}
