//! One TCP connection: HTTP/1.1 requests, and the WebSocket handshake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use aqueduct_core::{Body, Scope, ScopeKind, WebsocketApp};
use aqueduct_routing::ProtocolTypeRouter;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::config::Config;
use crate::shutdown::Shutdown;
use crate::websocket::{ServerIo, switching_protocols};

/// What every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) app: ProtocolTypeRouter,
    pub(crate) config: Arc<Config>,
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: Shutdown,
}

/// Serves HTTP/1.1 on `stream` until the client leaves, the connection is
/// upgraded to a WebSocket, or the server shuts down.
pub(crate) async fn serve_connection(stream: TcpStream, client: SocketAddr, shared: Arc<Shared>) {
    // Small messages are the norm; Nagle's algorithm would hold each one back.
    let _ = stream.set_nodelay(true);
    let server = stream.local_addr().ok();
    let shutdown = shared.shutdown.clone();
    let header_timeout = shared.config.handshake_timeout;
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(request, shared, client, server).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.wait() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(%client, error = %err, "http connection ended with an error");
    }
}

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    client: SocketAddr,
    server: Option<SocketAddr>,
) -> Response<Body> {
    if hyper_tungstenite::is_upgrade_request(&request) {
        return handshake(request, shared, client, server).await;
    }
    let span = tracing::debug_span!("http", method = %request.method(), path = %request.uri().path(), %client);
    let request = request.map(Body::new);
    shared.app.call_http(request).instrument(span).await
}

/// Starts the application for a WebSocket handshake and answers with
/// whatever its `connect` decides: `101`, or a refusal.
async fn handshake(
    mut request: Request<Incoming>,
    shared: Arc<Shared>,
    client: SocketAddr,
    server: Option<SocketAddr>,
) -> Response<Body> {
    if request.method() != http::Method::GET {
        return plain(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake must be a GET request",
        );
    }
    let switching = match switching_protocols(request.headers()) {
        Ok(response) => response,
        Err(err) => {
            tracing::info!(%client, error = err, "bad websocket handshake");
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("bad WebSocket handshake: {err}"),
            );
        }
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let (parts, _) = request.into_parts();
    let scope =
        Scope::from_request_parts(ScopeKind::Websocket, &parts).with_addrs(Some(client), server);
    let span = tracing::info_span!(
        "websocket",
        path = %scope.path(),
        %client,
        channel = tracing::field::Empty,
    );
    let (respond, decision) = oneshot::channel();
    let io = ServerIo::new(
        switching,
        respond,
        upgrade,
        shared.config.clone(),
        shared.shutdown.clone(),
    );
    // The application's task owns the consumer and, after the upgrade, the
    // socket: one task per connection from here on.
    let app = shared.clone();
    shared
        .tracker
        .spawn(async move { app.app.call(scope, Box::new(io)).await }.instrument(span.clone()));

    let timeout = shared.config.handshake_timeout;
    async move {
        match tokio::time::timeout(timeout, decision).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                tracing::error!("application ended without answering the handshake");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Err(_) => {
                tracing::warn!(?timeout, "connect neither accepted nor denied in time");
                plain(StatusCode::SERVICE_UNAVAILABLE, "the handshake timed out")
            }
        }
    }
    .instrument(span)
    .await
}

fn plain(status: StatusCode, body: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response
}
