//! `View`: one async function that answers HTTP, WebSocket, or both.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use aqueduct_core::{
    AppFuture, Body, BoxError, ChannelLayer, Param, Scope, WebsocketApp, WebsocketIo,
};
use bytes::Bytes;
use http::Request;
use tower::Service;

use super::request::ViewRequest;
use super::response::{IntoViewResponse, ViewResponse};
use super::run;
use super::websocket::DEFAULT_MAX_BUFFERED_MESSAGES;
use crate::service::{ServiceFuture, serve};

/// The future a view's handler returns once boxed.
pub(crate) type ViewFuture = Pin<Box<dyn Future<Output = ViewResponse> + Send>>;

/// A view: an async function of a [`ViewRequest`] that answers a plain
/// HTTP request, a WebSocket, or both at the same URL, in the style of
/// Django's `dwebsocket`.
///
/// Make one with [`accept_websocket`] or [`require_websocket`], then route
/// it with [`Views`](super::Views), which goes on the arms of a
/// [`ProtocolTypeRouter`](crate::ProtocolTypeRouter). A
/// `View` is also a [`WebsocketApp`] (for [`UrlRouter`](crate::UrlRouter))
/// and a tower [`Service`] (for axum's `route_service`), so it can be
/// mounted on each arm by hand too.
///
/// Whatever the view returns answers a plain HTTP request; a panic or an
/// `Err` answers `500` and is logged. For a WebSocket, the handshake is
/// accepted before the view runs; when the view returns (and its request
/// is dropped) the connection closes with 1000, or with 1011 after a panic
/// or an `Err`. Other connections are never affected.
///
/// ```
/// use aqueduct_routing::views::{View, ViewRequest, accept_websocket};
///
/// async fn echo(mut request: ViewRequest) -> String {
///     match request.websocket() {
///         Some(ws) => {
///             while let Some(message) = ws.wait().await {
///                 if ws.send(message).await.is_err() {
///                     break;
///                 }
///             }
///             String::new()
///         }
///         None => request.query_param("message").unwrap_or_default().to_owned(),
///     }
/// }
///
/// let view: View = accept_websocket(echo).max_buffered_messages(8);
/// assert!(view.accepts_http());
/// ```
#[derive(Clone)]
pub struct View {
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) accepts_http: bool,
    pub(crate) max_buffered: usize,
}

/// Makes `view` answer both plain HTTP and WebSocket at its URL:
/// dwebsocket's `@accept_websocket`.
///
/// The view asks [`ViewRequest::is_websocket`] (or
/// [`ViewRequest::websocket`]) which one it got.
pub fn accept_websocket<F, Fut>(view: F) -> View
where
    F: Fn(ViewRequest) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoViewResponse,
{
    View::new(view, true)
}

/// Makes `view` answer only WebSocket connections at its URL:
/// dwebsocket's `@require_websocket`.
///
/// A plain HTTP request gets `400 Bad Request` with a body saying a
/// WebSocket is required, and the view is not called; so
/// [`ViewRequest::websocket`] is always `Some` inside it.
pub fn require_websocket<F, Fut>(view: F) -> View
where
    F: Fn(ViewRequest) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoViewResponse,
{
    View::new(view, false)
}

impl View {
    fn new<F, Fut>(view: F, accepts_http: bool) -> Self
    where
        F: Fn(ViewRequest) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoViewResponse,
    {
        Self {
            handler: Arc::new(FnHandler(view)),
            accepts_http,
            max_buffered: DEFAULT_MAX_BUFFERED_MESSAGES,
        }
    }

    /// Sets how many unread messages a connection's
    /// [`WebSocket`](super::WebSocket) holds before it stops reading the
    /// socket (16 by default). See [`WebSocket`](super::WebSocket) on
    /// buffering and backpressure.
    ///
    /// # Panics
    ///
    /// Panics if `messages` is 0: the WebSocket needs room for the message
    /// that [`WebSocket::count_messages`](super::WebSocket::count_messages)
    /// looks ahead at.
    #[track_caller]
    pub fn max_buffered_messages(mut self, messages: usize) -> Self {
        assert!(
            messages > 0,
            "max_buffered_messages(0) leaves no room to look ahead; use at least 1"
        );
        self.max_buffered = messages;
        self
    }

    /// Answers a plain HTTP request, with the URL parameters its route
    /// captured and the application's channel layer. The future owns what
    /// it needs, so the server can spawn it.
    pub(crate) async fn serve_http(
        self,
        request: Request<Body>,
        params: Vec<Param>,
        layer: Option<Arc<dyn ChannelLayer>>,
    ) -> ViewResponse {
        run::http(&self, request, params, layer).await
    }

    /// Whether plain HTTP requests reach the view: true for
    /// [`accept_websocket`], false for [`require_websocket`].
    pub fn accepts_http(&self) -> bool {
        self.accepts_http
    }
}

/// A view function, boxed behind one type.
pub(crate) trait Handler: Send + Sync + 'static {
    fn call(&self, request: ViewRequest) -> ViewFuture;
}

/// Wraps the function so the blanket impl cannot clash with anything.
struct FnHandler<F>(F);

impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(ViewRequest) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoViewResponse,
{
    fn call(&self, request: ViewRequest) -> ViewFuture {
        let future = (self.0)(request);
        Box::pin(async move { future.await.into_view_response() })
    }
}

// Not `async fn`: the runner's future is the connection's task (see `AppFuture`).
impl WebsocketApp for View {
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(run::websocket(self, scope, io))
    }
}

/// Serves the view in a host such as axum, with `route_service`: plain
/// HTTP requests and WebSocket handshakes alike, with any body whose data
/// is `Bytes`. URL parameters are those of a [`Views`](super::Views)
/// route; under axum there are none. The view sees no channel layer, and
/// its WebSockets get the default limits: for those, mount a
/// [`ProtocolTypeRouter`](crate::ProtocolTypeRouter) holding the view.
impl<B> Service<Request<B>> for View
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
        let view = self.clone();
        let http = move |request| view.serve_http(request, Vec::new(), None);
        serve(None, request, || self.clone(), http)
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.accepts_http {
            "accept_websocket"
        } else {
            "require_websocket"
        };
        f.debug_struct("View")
            .field("kind", &kind)
            .field("max_buffered_messages", &self.max_buffered)
            .finish_non_exhaustive()
    }
}
