//! Routers as tower `Service`s, for hosts other than aqueduct's server.
//!
//! A WebSocket handshake goes to the [`Driver`], which performs the upgrade
//! over whatever IO the host gives (`hyper::upgrade::on`); any other
//! request is answered as HTTP. This is what lets an axum `Router` mount
//! aqueduct with `route_service`, `nest_service` or `fallback_service`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use aqueduct_core::{Body, BoxError, WebsocketApp};
use aqueduct_websocket::{Driver, is_websocket_request};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use tower::Service;

use crate::protocol::http::status_response;

/// The future every router's `Service::call` returns.
pub type ServiceFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// Answers `request`: a WebSocket handshake runs the application `app`
/// makes through `driver`; `http` answers anything else.
///
/// A router with no driver of its own (a `UrlRouter`, `Views` or a `View`
/// mounted directly) passes `None`: each handshake then gets a driver of
/// its own, with the default limits, that nothing shuts down but the
/// client or the application, and plain requests cost nothing extra.
/// (Such a driver counts one connection, so `max_connections` means
/// nothing there.)
pub(crate) fn serve<B, A, W, H, F>(
    driver: Option<&Driver>,
    request: Request<B>,
    app: A,
    http: H,
) -> ServiceFuture
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    A: FnOnce() -> W,
    W: WebsocketApp,
    H: FnOnce(Request<Body>) -> F,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    if !is_websocket_request(&request) {
        let answer = http(request.map(Body::new));
        return Box::pin(async move { Ok(answer.await) });
    }
    let app = app();
    let run = move |scope, io| async move { app.call(scope, io).await };
    // The host's server knows the client's address; a tower service is
    // not told it, so the scope's `client` stays empty here, and the
    // driver's limits per client address do not apply.
    let answer = match driver {
        Some(driver) => driver.handshake(request, None, None, run),
        None => Driver::default().handshake(request, None, None, run),
    };
    Box::pin(async move { Ok(answer.await) })
}

/// Serves the router in a host such as axum: WebSocket handshakes are
/// upgraded and run on the websocket arm (or a view), other requests go
/// to [`call_http`](crate::ProtocolTypeRouter::call_http). Never fails.
///
/// ```
/// use aqueduct_core::{InMemoryChannelLayer, NoEvents, WebsocketConsumer};
/// use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
///
/// #[derive(Default)]
/// struct ChatConsumer;
/// impl WebsocketConsumer for ChatConsumer {
///     type Event = NoEvents;
/// }
///
/// let chat = ProtocolTypeRouter::new()
///     .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
///     .with_channel_layer(InMemoryChannelLayer::new());
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "home" }))
///     .route_service("/ws/chat/{room_name}/", chat);
/// # let _ = app;
/// ```
impl<B> Service<Request<B>> for crate::ProtocolTypeRouter
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ServiceFuture {
        serve(
            Some(self.driver()),
            request,
            || self.clone(),
            |request| self.call_http(request),
        )
    }
}

/// Serves the router on its own in a host such as axum: WebSocket
/// handshakes are upgraded and routed by path; any other request gets
/// `404 Not Found`.
///
/// A `UrlRouter` has no channel layer, limits or shutdown of its own: for
/// those, mount a [`ProtocolTypeRouter`](crate::ProtocolTypeRouter) with
/// the router as its websocket arm. Each handshake here gets the default
/// limits, counted for that handshake alone, so `max_connections` does not
/// hold here.
///
/// ```
/// use aqueduct_core::{NoEvents, WebsocketConsumer};
/// use aqueduct_routing::UrlRouter;
///
/// #[derive(Default)]
/// struct EchoConsumer;
/// impl WebsocketConsumer for EchoConsumer {
///     type Event = NoEvents;
/// }
///
/// let ws = UrlRouter::new().route("ws/echo/", EchoConsumer::default);
/// let app: axum::Router = axum::Router::new().fallback_service(ws);
/// # let _ = app;
/// ```
impl<B> Service<Request<B>> for crate::UrlRouter
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ServiceFuture {
        serve(
            None,
            request,
            || self.clone(),
            |_| async { status_response(StatusCode::NOT_FOUND) },
        )
    }
}
