//! `ProtocolTypeRouter`: HTTP to a tower service, WebSockets to an app.

pub(crate) mod http;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use ::http::{Request, Response};
use aqueduct_core::{
    AppFuture, Body, BoxWebsocketApp, ChannelLayer, Scope, WebsocketApp, WebsocketIo,
};
use aqueduct_http::Transports;
use aqueduct_websocket::{Driver, Limits};
use futures_util::future::Either;

use self::http::{HttpArm, HttpService, serve};
use crate::UrlRouter;
use crate::app::{boxed, deny_not_found};

/// The top of an aqueduct application: sends each connection to the arm
/// for its protocol. Channels' `ProtocolTypeRouter`.
///
/// The http arm is any tower [`Service`](tower::Service), so an axum `Router` plugs in
/// unchanged, as Channels mounts Django's own ASGI app for `"http"`. The
/// websocket arm is any [`WebsocketApp`], usually a [`UrlRouter`]. The
/// channel layer, if any, is set on every WebSocket scope, where consumers
/// find it, and on every HTTP request's extensions, as an
/// `Arc<dyn ChannelLayer>`. A connection with no arm for its protocol gets
/// `404 Not Found`.
///
/// [Views](crate::views), which answer HTTP and WebSocket at one path, wrap
/// the arms: [`Views::fallback_http`](crate::Views::fallback_http) and
/// [`Views::fallback_websocket`](crate::Views::fallback_websocket)
/// put the views in front of each arm.
///
/// **In another host.** The router is itself a tower `Service` over
/// `http::Request<B>` for any body axum uses: it performs the WebSocket
/// upgrade over whatever connection the host gives, HTTP/1.1 or HTTP/2,
/// and answers other requests with its http arm. An axum application
/// mounts it in one line (`route_service`, `nest_service` or
/// `fallback_service`); aqueduct's own `Server` is only one host of several.
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
/// let http = axum::Router::new().route("/", axum::routing::get(|| async { "Hello" }));
/// let app = ProtocolTypeRouter::new()
///     .http(http)
///     .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
///     .with_channel_layer(InMemoryChannelLayer::new());
///
/// assert!(app.has_http() && app.has_websocket());
/// assert!(app.channel_layer().is_some());
/// ```
#[derive(Clone, Default)]
pub struct ProtocolTypeRouter {
    http: Option<HttpService>,
    websocket: Option<BoxWebsocketApp>,
    channel_layer: Option<Arc<dyn ChannelLayer>>,
    /// Long-polling and SSE for the websocket arm, when enabled.
    transports: Option<Transports>,
    /// Drives the WebSockets of the router's own `Service` impl; aqueduct's
    /// server drives its connections with a driver of its own.
    driver: Driver,
}

impl ProtocolTypeRouter {
    /// Creates a router with no arms: everything gets 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends HTTP requests to `service`, replacing any earlier http arm.
    ///
    /// Any `Clone + Send + Sync` tower service over
    /// `http::Request<aqueduct_core::Body>` fits, whatever its response
    /// body and error types: an axum `Router`, a tower-http `ServeDir`.
    pub fn http(mut self, service: impl HttpArm) -> Self {
        self.http = Some(service.into_http_service());
        self
    }

    /// Sends WebSocket connections to `app`, replacing any earlier
    /// websocket arm.
    pub fn websocket<A: WebsocketApp>(mut self, app: A) -> Self {
        self.websocket = Some(boxed(app));
        self
    }

    /// Gives every WebSocket connection and every HTTP request `layer`:
    /// Channels' `CHANNEL_LAYERS` setting. Named like axum's `with_state`,
    /// since [`channel_layer`](Self::channel_layer) reads it back.
    ///
    /// `layer` is one of aqueduct's layers (`InMemoryChannelLayer`,
    /// the Redis layers), or an `Arc<dyn ChannelLayer>` that other code
    /// shares, such as an HTTP handler that also `group_send`s. A layer of
    /// your own goes in as `Arc::new(layer) as Arc<dyn ChannelLayer>`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use aqueduct_core::{ChannelLayer, InMemoryChannelLayer};
    /// use aqueduct_routing::ProtocolTypeRouter;
    ///
    /// let app = ProtocolTypeRouter::new().with_channel_layer(InMemoryChannelLayer::new());
    /// assert!(app.channel_layer().is_some());
    ///
    /// let layer: Arc<dyn ChannelLayer> = Arc::new(InMemoryChannelLayer::new());
    /// let app = ProtocolTypeRouter::new().with_channel_layer(layer.clone());
    /// assert!(Arc::ptr_eq(app.channel_layer().unwrap(), &layer));
    /// ```
    pub fn with_channel_layer(mut self, layer: impl Into<Arc<dyn ChannelLayer>>) -> Self {
        self.channel_layer = Some(layer.into());
        self
    }

    /// Serves the websocket arm over long-polling and Server-Sent Events
    /// too, for clients where WebSocket does not get through: a request to
    /// any WebSocket path with the query parameter `transport=longpoll` or
    /// `transport=sse` opens or uses a session that runs the websocket arm
    /// (its middleware included) as a WebSocket would. `aqueduct.js` falls
    /// back to them by itself. Off unless set.
    ///
    /// ```
    /// use aqueduct_core::{NoEvents, WebsocketConsumer};
    /// use aqueduct_http::Transports;
    /// use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
    ///
    /// #[derive(Default)]
    /// struct ChatConsumer;
    /// impl WebsocketConsumer for ChatConsumer {
    ///     type Event = NoEvents;
    /// }
    ///
    /// let app = ProtocolTypeRouter::new()
    ///     .websocket(UrlRouter::new().route("ws/chat/<room_name>/", ChatConsumer::default))
    ///     .transports(Transports::new());
    /// assert!(app.has_transports());
    /// ```
    pub fn transports(mut self, transports: Transports) -> Self {
        self.transports = Some(transports);
        self
    }

    /// Whether long-polling and SSE are served (see [`transports`](Self::transports)).
    pub fn has_transports(&self) -> bool {
        self.transports.is_some()
    }

    /// Sets the limits and timeouts of WebSockets served through the
    /// router's tower `Service` impl, in a host such as axum. aqueduct's
    /// `Server` ignores these and uses its own settings (`Server::limits`
    /// takes the same value).
    ///
    /// The host does not tell the router the client's address, so the
    /// limits per client address do not apply here; the limits on open
    /// connections and on each connection's message rate do.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aqueduct_routing::ProtocolTypeRouter;
    /// use aqueduct_websocket::Limits;
    ///
    /// let app = ProtocolTypeRouter::new().limits(Limits::new().ping_interval(Duration::from_secs(50)));
    /// # let _ = app;
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.driver = Driver::new(limits);
        self
    }

    /// The driver of WebSockets served through the router's tower
    /// `Service` impl. A host such as axum does not see connections once
    /// they are upgraded: call [`Driver::shutdown`] on this when the host
    /// shuts down, to close them with 1001 and let `disconnect` hooks run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aqueduct_routing::ProtocolTypeRouter;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let app = ProtocolTypeRouter::new();
    /// let websockets = app.driver().clone();
    /// // After the host's own graceful shutdown:
    /// assert!(websockets.shutdown(Duration::from_secs(10)).await);
    /// # });
    /// ```
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// Whether an http arm is set.
    pub fn has_http(&self) -> bool {
        self.http.is_some()
    }

    /// Whether a websocket arm is set.
    pub fn has_websocket(&self) -> bool {
        self.websocket.is_some()
    }

    /// The channel layer, if one is set: Channels' `get_channel_layer()`.
    pub fn channel_layer(&self) -> Option<&Arc<dyn ChannelLayer>> {
        self.channel_layer.as_ref()
    }

    /// Answers one HTTP request with the http arm, the channel layer in
    /// its extensions. The server calls this.
    ///
    /// Never fails: with no http arm the answer is `404 Not Found`; when
    /// the service returns an error, it is logged and the answer is
    /// `500 Internal Server Error`. The future owns what it needs, so it
    /// can be spawned.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use aqueduct_core::Body;
    /// use aqueduct_routing::ProtocolTypeRouter;
    ///
    /// let hello = tower::service_fn(|_request: http::Request<Body>| async {
    ///     Ok::<_, Infallible>(http::Response::new(Body::from("hello")))
    /// });
    /// let app = ProtocolTypeRouter::new().http(hello);
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let response = app.call_http(http::Request::new(Body::empty())).await;
    /// assert_eq!(response.status(), http::StatusCode::OK);
    /// # });
    /// ```
    pub fn call_http(
        &self,
        mut request: Request<Body>,
    ) -> impl Future<Output = Response<Body>> + Send + 'static {
        if let Some(transports) = &self.transports
            && self.websocket.is_some()
            && Transports::requested(&request).is_some()
        {
            // aqueduct's server puts its own driver in the request, so
            // sessions end with its shutdown; in another host the
            // router's own drives them.
            let driver = request
                .extensions_mut()
                .remove::<Driver>()
                .unwrap_or_else(|| self.driver.clone());
            let app: BoxWebsocketApp = Arc::new(self.clone());
            return Either::Left(transports.serve(request, &driver, app));
        }
        if let Some(layer) = &self.channel_layer {
            request.extensions_mut().insert(layer.clone());
        }
        Either::Right(serve(self.http.clone(), request))
    }
}

// Not `async fn`: the websocket arm's own future is the connection's
// task (see `AppFuture`).
impl WebsocketApp for ProtocolTypeRouter {
    fn call(&self, mut scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        if let Some(layer) = &self.channel_layer {
            scope.set_channel_layer(Some(layer.clone()));
        }
        let Some(app) = &self.websocket else {
            tracing::info!(path = %scope.path(), "no websocket application; refusing with 404");
            let body = "No WebSocket application is configured.".to_owned();
            return Box::pin(deny_not_found(io, body));
        };
        app.call(scope, io)
    }
}

impl From<UrlRouter> for ProtocolTypeRouter {
    /// A router with `router` as its websocket arm, and nothing else.
    fn from(router: UrlRouter) -> Self {
        Self::new().websocket(router)
    }
}

#[cfg(feature = "views")]
impl From<crate::Views> for ProtocolTypeRouter {
    /// A router with `views` (and their fallbacks) on both arms.
    fn from(views: crate::Views) -> Self {
        Self::new().http(views.clone()).websocket(views)
    }
}

impl fmt::Debug for ProtocolTypeRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolTypeRouter")
            .field("http", &self.has_http())
            .field("websocket", &self.has_websocket())
            .field("channel_layer", &self.channel_layer.is_some())
            .field("transports", &self.transports)
            .field("driver", &self.driver)
            .finish()
    }
}

#[cfg(test)]
mod tests;
