//! `Views`: routes views by path, for HTTP and WebSocket at once.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use aqueduct_core::{
    AppFuture, Body, BoxError, BoxWebsocketApp, ChannelLayer, Param, Scope, WebsocketApp,
    WebsocketIo,
};
use bytes::Bytes;
use futures_util::future::Either;
use http::Request;
use percent_encoding::percent_decode_str;
use tower::Service;

use super::response::ViewResponse;
use super::view::View;
use crate::app::{boxed, deny_not_found};
use crate::error::PatternError;
use crate::protocol::http::{HttpArm, HttpService, serve};
use crate::service::ServiceFuture;
use crate::url::{Routes, expect_route, strip_slash};

/// Routes requests to [views](View) by path, with the Django `path()`
/// patterns of [`UrlRouter`](crate::UrlRouter): Django's `urlpatterns`
/// for dwebsocket views.
///
/// One route answers both protocols: a plain HTTP request and a WebSocket
/// handshake on the same path reach the same view. `Views` is a tower
/// [`Service`] and a [`WebsocketApp`], so it goes on the arms of a
/// [`ProtocolTypeRouter`](crate::ProtocolTypeRouter) like any other
/// application. What no route matches goes to the fallback of its
/// protocol, [`fallback_http`](Self::fallback_http) (an axum `Router`) or
/// [`fallback_websocket`](Self::fallback_websocket) (a `UrlRouter`), or
/// gets `404 Not Found`; so views, consumers and an axum `Router` share
/// one server.
///
/// Routes are tried in the order they were added, converters included
/// (`<int:id>`, `<slug:…>`, …), and the view reads what they captured with
/// [`ViewRequest::param`](super::ViewRequest::param). Any method reaches
/// the view, as in Django; it can check
/// [`ViewRequest::method`](super::ViewRequest::method).
///
/// ```
/// use aqueduct_routing::ProtocolTypeRouter;
/// use aqueduct_routing::views::{ViewRequest, Views, accept_websocket, require_websocket};
///
/// async fn echo(mut request: ViewRequest) -> aqueduct_core::Result<String> {
///     let Some(ws) = request.websocket() else {
///         return Ok(request.query_param("message").unwrap_or_default().to_owned());
///     };
///     while let Some(message) = ws.wait().await {
///         ws.send(message).await?;
///     }
///     Ok(String::new())
/// }
///
/// async fn room(mut request: ViewRequest) -> aqueduct_core::Result {
///     let room = request.param_int("id").unwrap_or_default();
///     let ws = request.websocket().expect("require_websocket");
///     ws.send(format!("welcome to room {room}")).await?;
///     Ok(())
/// }
///
/// let views = Views::new()
///     .route("echo/", accept_websocket(echo))
///     .route("rooms/<int:id>/", require_websocket(room));
/// let pages = axum::Router::new().route("/", axum::routing::get(|| async { "home" }));
/// let app = ProtocolTypeRouter::new()
///     .http(views.clone().fallback_http(pages))
///     .websocket(views);
/// # let _ = app;
/// ```
#[derive(Clone, Default)]
pub struct Views {
    routes: Routes<View>,
    http_fallback: Option<HttpService>,
    websocket_fallback: Option<BoxWebsocketApp>,
}

impl Views {
    /// Creates a table with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends requests whose path matches `pattern` to `view`.
    ///
    /// # Panics
    ///
    /// As [`UrlRouter::route`](crate::UrlRouter::route): when `pattern` is
    /// malformed, or when an earlier route matches every path this one
    /// would. The message names the pattern and says how to fix it.
    #[track_caller]
    pub fn route(self, pattern: &str, view: View) -> Self {
        let added = self.try_route(pattern, view);
        expect_route(added, pattern)
    }

    /// [`route`](Self::route) that returns a malformed or unreachable
    /// pattern as an error instead of panicking.
    ///
    /// ```
    /// use aqueduct_routing::views::{ViewRequest, Views, accept_websocket};
    ///
    /// async fn hello(_request: ViewRequest) -> &'static str {
    ///     "hello"
    /// }
    ///
    /// let err = Views::new().try_route("hello/<int:>/", accept_websocket(hello)).unwrap_err();
    /// assert!(err.to_string().contains("empty name"));
    /// ```
    pub fn try_route(mut self, pattern: &str, view: View) -> Result<Self, PatternError> {
        // Every earlier view that matches all the new one's paths hides it.
        self.routes.add(pattern, view, false, |_, _| true)?;
        Ok(self)
    }

    /// Sends the plain HTTP requests that no view matches to `service`
    /// (an axum `Router`, say) instead of answering `404 Not Found`.
    ///
    /// Any service that fits [`ProtocolTypeRouter::http`](crate::ProtocolTypeRouter::http)
    /// fits here. Replaces any earlier http fallback.
    pub fn fallback_http(mut self, service: impl HttpArm) -> Self {
        self.http_fallback = Some(service.into_http_service());
        self
    }

    /// Sends the WebSocket connections that no view matches to `app` (a
    /// `UrlRouter` of consumers, say) instead of refusing them with 404.
    /// Replaces any earlier websocket fallback.
    pub fn fallback_websocket<A: WebsocketApp>(mut self, app: A) -> Self {
        self.websocket_fallback = Some(boxed(app));
        self
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The view for `path` (percent-decoded, with or without its leading
    /// `/`) and what its pattern captured.
    pub(crate) fn find(&self, path: &str) -> Option<(&View, Vec<Param>)> {
        self.routes.first_match(strip_slash(path), |route, values| {
            Some((&route.target, route.pattern.convert(values)?))
        })
    }

    /// Answers a plain HTTP request with its view, or else the http
    /// fallback. The channel layer is the one a `ProtocolTypeRouter` put
    /// in the request's extensions, if any.
    fn call_http(
        &self,
        request: Request<Body>,
    ) -> impl Future<Output = ViewResponse> + Send + use<> {
        let path = percent_decode_str(request.uri().path()).decode_utf8_lossy();
        let Some((view, params)) = self.find(&path) else {
            return Either::Right(serve(self.http_fallback.clone(), request));
        };
        let view = view.clone();
        let layer = request.extensions().get::<Arc<dyn ChannelLayer>>().cloned();
        Either::Left(view.serve_http(request, params, layer))
    }
}

// Not `async fn`: handing back the view's own future keeps the
// connection's task one future deep (see `AppFuture`).
impl WebsocketApp for Views {
    fn call(&self, mut scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        // Mounted under a `UrlRouter` prefix, match what the prefix left.
        let path = scope.path_remaining().unwrap_or(scope.path());
        if let Some((view, params)) = self.find(path) {
            scope.params_mut().extend(params);
            scope.set_path_remaining(Some(String::new()));
            return view.call(scope, io);
        }
        if let Some(app) = &self.websocket_fallback {
            return app.call(scope, io);
        }
        tracing::info!(path = %scope.path(), "no view matches the path; refusing with 404");
        let body = format!("No view found for path {:?}.", scope.path());
        Box::pin(deny_not_found(io, body))
    }
}

/// Serves the table on its own in a host such as axum: plain HTTP and
/// WebSocket handshakes alike go to the view their path matches, or to the
/// fallback of their protocol, or get `404 Not Found`.
///
/// Views served this way see no channel layer, and their WebSockets get
/// the default limits: for those, mount a
/// [`ProtocolTypeRouter`](crate::ProtocolTypeRouter) holding the table.
///
/// ```
/// use aqueduct_routing::views::{ViewRequest, Views, accept_websocket};
///
/// async fn hello(_request: ViewRequest) -> &'static str {
///     "hello"
/// }
///
/// let views = Views::new().route("hello/", accept_websocket(hello));
/// let app: axum::Router = axum::Router::new().fallback_service(views);
/// # let _ = app;
/// ```
impl<B> Service<Request<B>> for Views
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = ViewResponse;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ServiceFuture {
        let views = self.clone();
        let http = move |request: Request<Body>| views.call_http(request);
        crate::service::serve(None, request, || self.clone(), http)
    }
}

impl fmt::Debug for Views {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Views")
            .field("routes", &self.routes)
            .field("http_fallback", &self.http_fallback.is_some())
            .field("websocket_fallback", &self.websocket_fallback.is_some())
            .finish()
    }
}
