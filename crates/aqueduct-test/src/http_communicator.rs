//! `HttpCommunicator`: one HTTP request through an application's http arm.

use std::fmt;
use std::time::Duration;

use aqueduct_core::Body;
use aqueduct_routing::ProtocolTypeRouter;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::request;

/// Sends one HTTP request to an application in memory: Channels'
/// `HttpCommunicator`.
///
/// The request goes through [`ProtocolTypeRouter::call_http`], exactly as
/// the server sends it, so the http arm (an axum `Router`, a tower
/// service) answers as it would in production: 404 with no http arm, 500
/// when the service fails.
///
/// ```
/// use aqueduct_routing::ProtocolTypeRouter;
/// use aqueduct_test::HttpCommunicator;
/// use axum::routing::post;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = ProtocolTypeRouter::new()
///     .http(axum::Router::new().route("/echo", post(|body: String| async move { body })));
///
/// let response = HttpCommunicator::new(app, "POST", "/echo").body("ping").get_response().await;
/// assert_eq!(response.status, http::StatusCode::OK);
/// assert_eq!(response.text(), "ping");
/// # }
/// ```
pub struct HttpCommunicator {
    app: ProtocolTypeRouter,
    head: Parts,
    body: Body,
    timeout: Duration,
}

impl HttpCommunicator {
    /// How long [`get_response`](Self::get_response) waits by default: 1 s, as in Channels.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// Creates a request of `method` (`Method::POST`, or `"POST"`) for
    /// `path`, which may carry a query string, to `app`.
    ///
    /// # Panics
    ///
    /// Panics, with a fix, when `method` is not a valid method or `path`
    /// is not a valid request path.
    #[track_caller]
    pub fn new<M>(app: impl Into<ProtocolTypeRouter>, method: M, path: &str) -> Self
    where
        M: TryInto<Method>,
        M::Error: fmt::Display,
    {
        let method = method
            .try_into()
            .unwrap_or_else(|err| panic!("not an HTTP method: {err}"));
        Self {
            app: app.into(),
            head: request::head(method, path),
            body: Body::empty(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Adds a request header.
    ///
    /// # Panics
    ///
    /// Panics when `name` or `value` is not valid in an HTTP header.
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        request::append_header(&mut self.head, name, value);
        self
    }

    /// Sets the request body: a `&'static str`, `String`, `Vec<u8>` or `Bytes`.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `value` as JSON, with `content-type: application/json`.
    ///
    /// # Panics
    ///
    /// Panics when `value` does not serialize.
    #[track_caller]
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        let json = serde_json::to_vec(value)
            .unwrap_or_else(|err| panic!("the JSON body does not serialize: {err}"));
        self.head.headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        self.body = Body::from(json);
        self
    }

    /// Sets how long [`get_response`](Self::get_response) waits (1 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the request and waits for the whole response, body included.
    ///
    /// # Panics
    ///
    /// Panics when the response, or the end of its body, does not come
    /// within the timeout (a streaming response that never ends), or the
    /// body fails mid-way.
    pub async fn get_response(self) -> HttpResponse {
        let Self {
            app,
            head,
            body,
            timeout,
        } = self;
        let span = tracing::debug_span!("http", method = %head.method, path = %head.uri.path());
        let request = Request::from_parts(head, body);
        let response = async move {
            let response = app.call_http(request).await;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map(|collected| collected.to_bytes());
            (parts, body)
        };
        let (parts, body) = match tokio::time::timeout(timeout, response.instrument(span)).await {
            Ok(answer) => answer,
            Err(_) => panic!(
                "get_response timed out after {timeout:?}: the application did not finish its \
                 response. A response that streams for ever never finishes; if it is slow on \
                 purpose, raise HttpCommunicator::timeout"
            ),
        };
        let body = body.unwrap_or_else(|err| panic!("the response body failed: {err}"));
        HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

impl fmt::Debug for HttpCommunicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpCommunicator")
            .field("method", &self.head.method)
            .field("uri", &self.head.uri)
            .field("headers", &self.head.headers)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A complete HTTP response, as [`HttpCommunicator::get_response`] returns it.
///
/// ```
/// use aqueduct_test::HttpResponse;
///
/// let response = HttpResponse {
///     status: http::StatusCode::OK,
///     headers: Default::default(),
///     body: bytes::Bytes::from_static(br#"{"rooms": 3}"#),
/// };
/// assert_eq!(response.json::<serde_json::Value>()["rooms"], 3);
/// ```
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The response status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl HttpResponse {
    /// The body as text.
    ///
    /// # Panics
    ///
    /// Panics when the body is not UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|err| panic!("the response body is not UTF-8 text: {err}"))
    }

    /// The body decoded as JSON.
    ///
    /// # Panics
    ///
    /// Panics, showing the body, when it is not JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "the response body is not the JSON expected: {err}; the body was {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The value of the header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}
