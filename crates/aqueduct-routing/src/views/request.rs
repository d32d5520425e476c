//! What a view is called with: Django's `request`, for HTTP and WebSocket.

use std::fmt;
use std::sync::OnceLock;

use aqueduct_core::{Body, Scope, UrlParams};
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::sync_cell::SyncCell;
use super::websocket::WebSocket;
use crate::error::BodyError;

/// How many bytes of body [`ViewRequest::bytes`] reads at most: axum's default.
pub const DEFAULT_BODY_LIMIT: usize = 2 << 20;

/// One request to a view: a plain HTTP request, or an accepted WebSocket.
/// Django's `request`, with dwebsocket's `request.websocket`.
///
/// It gives the method, the path, the query string and its parameters
/// ([`query_param`](Self::query_param) is Django's `request.GET[...]`),
/// the headers, the URL parameters the route captured, the body of an
/// HTTP request, and, for a WebSocket, the [`WebSocket`] to talk on.
///
/// ```
/// use aqueduct_routing::views::{IntoViewResponse, ViewRequest, ViewResponse, accept_websocket};
/// use http::StatusCode;
///
/// /// `GET /rooms/<room>/?user=ada` greets; a WebSocket there echoes.
/// async fn room(mut request: ViewRequest) -> aqueduct_core::Result<ViewResponse> {
///     let room = request.param("room").unwrap_or_default().to_owned();
///     let Some(ws) = request.websocket() else {
///         let Some(user) = request.query_param("user") else {
///             return Ok((StatusCode::BAD_REQUEST, "who are you? add ?user=…").into_view_response());
///         };
///         return Ok(format!("{user} is in {room}").into_view_response());
///     };
///     while let Some(message) = ws.wait().await {
///         ws.send(message).await?;
///     }
///     Ok(().into_view_response())
/// }
///
/// let view = accept_websocket(room);
/// # let _ = view;
/// ```
pub struct ViewRequest {
    scope: Scope,
    body: SyncCell<Body>,
    websocket: Option<WebSocket>,
    query: OnceLock<Vec<(String, String)>>,
}

impl ViewRequest {
    /// A plain HTTP request.
    pub(crate) fn http(scope: Scope, body: Body) -> Self {
        Self {
            scope,
            body: SyncCell::new(body),
            websocket: None,
            query: OnceLock::new(),
        }
    }

    /// An accepted WebSocket.
    pub(crate) fn websocket_request(scope: Scope, websocket: WebSocket) -> Self {
        Self {
            scope,
            body: SyncCell::new(Body::empty()),
            websocket: Some(websocket),
            query: OnceLock::new(),
        }
    }

    /// Whether this is a WebSocket connection: dwebsocket's `request.is_websocket()`.
    pub fn is_websocket(&self) -> bool {
        self.websocket.is_some()
    }

    /// The WebSocket to talk on, or `None` for a plain HTTP request.
    pub fn websocket(&mut self) -> Option<&mut WebSocket> {
        self.websocket.as_mut()
    }

    /// The request method (`GET` for every WebSocket).
    pub fn method(&self) -> &Method {
        self.scope.method()
    }

    /// The path, percent-decoded, with its leading `/`.
    pub fn path(&self) -> &str {
        self.scope.path()
    }

    /// The query string without the `?`, still percent-encoded.
    pub fn query_string(&self) -> &str {
        self.scope.query_string()
    }

    /// The value of the query parameter `name`, decoded: Django's
    /// `request.GET["name"]`.
    ///
    /// When the name appears more than once, the last value wins, as in
    /// Django; [`query_params`](Self::query_params) gives them all.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query()
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every query parameter, decoded, in the order of the query string.
    pub fn query_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query()
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// The request headers (the handshake's, for a WebSocket).
    pub fn headers(&self) -> &HeaderMap {
        self.scope.headers()
    }

    /// The text of the URL parameter `name` captured by the route.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.scope.param(name)
    }

    /// The value of the `<int:name>` URL parameter.
    pub fn param_int(&self, name: &str) -> Option<i64> {
        self.scope.param_int(name)
    }

    /// Every URL parameter captured by the route.
    pub fn params(&self) -> &UrlParams {
        self.scope.params()
    }

    /// Everything else known about the connection: the client's address
    /// (where the host knows it: aqueduct's server tells it for HTTP and
    /// WebSocket alike), the channel layer, middleware's extensions.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The request body, to stream it. Empty for a WebSocket.
    pub fn body_mut(&mut self) -> &mut Body {
        self.body.get_mut()
    }

    /// Takes the request body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(self.body.get_mut())
    }

    /// Reads the whole body, at most [`DEFAULT_BODY_LIMIT`] (2 MiB) of it.
    ///
    /// The body is read once: a second call returns nothing. A view that
    /// passes the error on with `?` answers `413` for a body too large.
    pub async fn bytes(&mut self) -> Result<Bytes, BodyError> {
        self.bytes_limited(DEFAULT_BODY_LIMIT).await
    }

    /// Reads the whole body, failing if it is longer than `limit` bytes.
    pub async fn bytes_limited(&mut self, limit: usize) -> Result<Bytes, BodyError> {
        match Limited::new(self.take_body(), limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(err) if err.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
            Err(source) => Err(BodyError::Read { source }),
        }
    }

    fn query(&self) -> &[(String, String)] {
        self.query.get_or_init(|| {
            self.scope
                .query_params()
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect()
        })
    }
}

impl fmt::Debug for ViewRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ViewRequest")
            .field("method", self.method())
            .field("path", &self.path())
            .field("query_string", &self.query_string())
            .field("params", self.params())
            .field("websocket", &self.websocket)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use aqueduct_core::ScopeKind;

    use super::*;

    fn get(uri: &str) -> ViewRequest {
        let scope = Scope::new(ScopeKind::Http, uri);
        ViewRequest::http(scope, Body::from("payload"))
    }

    #[test]
    fn query_parameters_decode_and_the_last_one_wins() {
        #[rustfmt::skip]
        let cases = [
            ("/echo/?message=hi",             "message", Some("hi")),
            ("/echo/?message=caf%C3%A9+au+lait", "message", Some("café au lait")),
            ("/echo/?message=a&message=b",    "message", Some("b")),
            ("/echo/?message=",               "message", Some("")),
            ("/echo/?other=1",                "message", None),
            ("/echo/",                        "message", None),
        ];
        for (uri, name, expected) in cases {
            assert_eq!(get(uri).query_param(name), expected, "{uri}");
        }
        let request = get("/?a=1&b=2&a=3");
        let all: Vec<_> = request.query_params().collect();
        assert_eq!(all, [("a", "1"), ("b", "2"), ("a", "3")]);
    }

    #[tokio::test]
    async fn the_body_is_read_once_and_within_its_limit() {
        let mut request = get("/");
        assert!(matches!(
            request.bytes_limited(3).await,
            Err(BodyError::TooLarge { limit: 3 })
        ));
        let mut request = get("/");
        assert_eq!(request.bytes().await.unwrap(), "payload");
        assert_eq!(request.bytes().await.unwrap(), "");
        assert!(!request.is_websocket());
        assert!(request.websocket().is_none());
    }

    #[test]
    fn a_request_can_be_borrowed_across_an_await() {
        fn is_sync<T: Sync + Send>() {}
        is_sync::<ViewRequest>();
    }
}
