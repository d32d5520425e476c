//! What is known about a connection before and while it runs.

mod params;
mod user;

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use http::{Extensions, HeaderMap, HeaderValue, Method, Uri, Version, header};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::layer::ChannelLayer;

pub use params::{Param, UrlParams};

/// What [`Scope::new`] encodes, as a browser does: controls, the space and
/// the ASCII a URL cannot hold as it is (non-ASCII is always encoded). `%`
/// is kept, so a path that is encoded already stays as it is.
const NOT_IN_A_URL: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The kind of connection a scope describes (Channels' `scope["type"]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// A plain HTTP request.
    Http,
    /// A WebSocket connection.
    Websocket,
}

/// How a WebSocket consumer's conversation travels: over a WebSocket, or
/// over one of the HTTP transports that stand in for it where WebSocket
/// does not get through. A consumer behaves the same on each; the scope
/// says which one it is on ([`Scope::transport`]) for logs and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// A WebSocket (RFC 6455, or RFC 8441 over HTTP/2).
    #[default]
    WebSocket,
    /// Long-polling: the client sends with `POST` and receives with a
    /// `GET` that the server holds until it has something to send.
    LongPolling,
    /// Server-Sent Events to receive, `POST` to send.
    ServerSentEvents,
}

impl Transport {
    /// The transport's name on the wire and in logs: `websocket`,
    /// `longpoll` or `sse`.
    ///
    /// ```
    /// use aqueduct_core::Transport;
    ///
    /// assert_eq!(Transport::LongPolling.as_str(), "longpoll");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::LongPolling => "longpoll",
            Self::ServerSentEvents => "sse",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything known about one connection: Channels' `scope`.
///
/// Drivers (the server, the test communicator) build it from the request;
/// routers add URL parameters; middleware adds typed values to its
/// [extensions](Scope::extensions), such as the authenticated user.
///
/// ```
/// use aqueduct_core::{Scope, ScopeKind};
///
/// let request = http::Request::get("/ws/chat/caf%C3%A9/?token=abc")
///     .header("sec-websocket-protocol", "chat.v2, chat.v1")
///     .body(())
///     .unwrap();
/// let (parts, ()) = request.into_parts();
/// let scope = Scope::from_request_parts(ScopeKind::Websocket, &parts);
///
/// assert_eq!(scope.path(), "/ws/chat/café/");
/// assert_eq!(scope.raw_path(), "/ws/chat/caf%C3%A9/");
/// assert_eq!(scope.query_string(), "token=abc");
/// assert_eq!(scope.subprotocols(), ["chat.v2", "chat.v1"]);
/// ```
#[derive(Clone)]
pub struct Scope(Box<Fields>);

/// Boxed so that moving a scope through routers, and keeping it in every
/// connection's futures, costs one pointer instead of some 400 bytes each.
#[derive(Clone)]
struct Fields {
    kind: ScopeKind,
    transport: Transport,
    method: Method,
    http_version: Version,
    scheme: &'static str,
    path: String,
    raw_path: String,
    query_string: String,
    headers: HeaderMap,
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    subprotocols: Vec<String>,
    params: UrlParams,
    path_remaining: Option<String>,
    extensions: Extensions,
    /// Groups middleware asked the connection to join (see `user.rs`).
    groups: Vec<String>,
    channel_layer: Option<Arc<dyn ChannelLayer>>,
}

impl Scope {
    /// Creates a scope of `kind` for `path`, which may carry a query string.
    ///
    /// Characters a URL cannot hold as they are (spaces, non-ASCII
    /// letters) are percent-encoded first, as a browser does, so
    /// `/ws/chat/café/` works.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// let scope = Scope::new(ScopeKind::Websocket, "/ws/chat/café/?x=1");
    /// assert_eq!(scope.path(), "/ws/chat/café/");
    /// assert_eq!(scope.raw_path(), "/ws/chat/caf%C3%A9/");
    /// assert_eq!(scope.query_string(), "x=1");
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when `path` is still no URL path after that, such as one
    /// that does not start with `/`: the message names it. (It once
    /// became `/` without a word.)
    #[track_caller]
    pub fn new(kind: ScopeKind, path: &str) -> Self {
        let encoded = utf8_percent_encode(path, NOT_IN_A_URL).to_string();
        let uri = match encoded.parse::<Uri>() {
            Ok(uri) if uri.scheme().is_none() && encoded.starts_with('/') => uri,
            _ => panic!(
                "Scope::new: {path:?} is not a URL path; write it as a browser requests it, \
                 starting with `/`, as in \"/ws/chat/lobby/?token=abc\""
            ),
        };
        let mut parts = http::Request::new(()).into_parts().0;
        parts.uri = uri;
        Self::from_request_parts(kind, &parts)
    }

    /// Creates a scope from the head of an HTTP request.
    pub fn from_request_parts(kind: ScopeKind, parts: &http::request::Parts) -> Self {
        let raw_path = parts.uri.path().to_owned();
        let path = percent_decode_str(&raw_path)
            .decode_utf8_lossy()
            .into_owned();
        let subprotocols = parts
            .headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|protocol| !protocol.is_empty())
            .map(str::to_owned)
            .collect();
        let secure = parts.uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let scheme = match (kind, secure) {
            (ScopeKind::Http, false) => "http",
            (ScopeKind::Http, true) => "https",
            (ScopeKind::Websocket, false) => "ws",
            (ScopeKind::Websocket, true) => "wss",
        };
        Self(Box::new(Fields {
            kind,
            transport: Transport::WebSocket,
            method: parts.method.clone(),
            http_version: parts.version,
            scheme,
            path,
            raw_path,
            query_string: parts.uri.query().unwrap_or_default().to_owned(),
            headers: own_headers(kind, &parts.headers),
            client: None,
            server: None,
            subprotocols,
            params: UrlParams::default(),
            path_remaining: None,
            extensions: Extensions::new(),
            groups: Vec::new(),
            channel_layer: None,
        }))
    }

    /// Sets the client's and the server's socket addresses.
    pub fn with_addrs(mut self, client: Option<SocketAddr>, server: Option<SocketAddr>) -> Self {
        self.0.client = client;
        self.0.server = server;
        self
    }

    /// The kind of connection.
    pub fn kind(&self) -> ScopeKind {
        self.0.kind
    }

    /// The request method: `GET` for a WebSocket handshake over HTTP/1.1,
    /// `CONNECT` over HTTP/2 (RFC 8441).
    pub fn method(&self) -> &Method {
        &self.0.method
    }

    /// The HTTP version of the request, or of the handshake that opened
    /// the WebSocket: Channels' `scope["http_version"]`.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// let scope = Scope::new(ScopeKind::Websocket, "/ws/");
    /// assert_eq!(scope.http_version(), http::Version::HTTP_11);
    /// ```
    pub fn http_version(&self) -> Version {
        self.0.http_version
    }

    /// `http`, `https`, `ws` or `wss`.
    pub fn scheme(&self) -> &str {
        self.0.scheme
    }

    /// The request path, percent-decoded, with its leading `/`.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The request path exactly as the client sent it.
    pub fn raw_path(&self) -> &str {
        &self.0.raw_path
    }

    /// The query string without the `?`, still percent-encoded.
    pub fn query_string(&self) -> &str {
        &self.0.query_string
    }

    /// The value of the query parameter `name`, percent-decoded (and `+`
    /// read as a space): Django's `request.GET["name"]`.
    ///
    /// When the name appears more than once, the last value wins, as in
    /// Django; [`query_params`](Self::query_params) gives them all. The
    /// query string is parsed on each call rather than kept parsed, so an
    /// idle connection holds nothing for it.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// let scope = Scope::new(ScopeKind::Websocket, "/ws/?token=a%2Bb&room=caf%C3%A9+1&room=2");
    /// assert_eq!(scope.query_param("token").as_deref(), Some("a+b"));
    /// assert_eq!(scope.query_param("room").as_deref(), Some("2"));
    /// assert_eq!(scope.query_param("missing"), None);
    /// let all: Vec<_> = scope.query_params().map(|(k, v)| format!("{k}={v}")).collect();
    /// assert_eq!(all, ["token=a+b", "room=café 1", "room=2"]);
    /// ```
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_params()
            .filter(|(key, _)| key == name)
            .last()
            .map(|(_, value)| value)
    }

    /// Every query parameter, percent-decoded, in the order of the query
    /// string.
    pub fn query_params(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        form_urlencoded::parse(self.0.query_string.as_bytes())
    }

    /// The value of the cookie `name` from the request's `Cookie` headers,
    /// as the client sent it (not percent-decoded): Django's
    /// `request.COOKIES["name"]`.
    ///
    /// A malformed pair is skipped, not an error: one bad cookie set by
    /// another application on the same domain must not hide the others.
    /// When the name appears more than once, the first wins, as browsers
    /// send the most specific cookie first.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// let request = http::Request::get("/ws/")
    ///     .header("cookie", "theme=dark; sessionid=abc123")
    ///     .header("cookie", "=broken; lang=fr")
    ///     .body(())
    ///     .unwrap();
    /// let (parts, ()) = request.into_parts();
    /// let scope = Scope::from_request_parts(ScopeKind::Websocket, &parts);
    /// assert_eq!(scope.cookie("sessionid"), Some("abc123"));
    /// assert_eq!(scope.cookie("lang"), Some("fr"));
    /// assert_eq!(scope.cookie("missing"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|header| header.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .and_then(|cookie| cookie.value_raw())
    }

    /// The request headers.
    ///
    /// A WebSocket scope leaves out the headers that only carry out the
    /// handshake (`Connection`, `Upgrade`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`, `Sec-WebSocket-Extensions`); the offered
    /// subprotocols are in [`subprotocols`](Self::subprotocols) too.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The request headers, for middleware to edit: one that takes a
    /// credential out of a header removes it here, so that no consumer
    /// logs it.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.0.headers
    }

    /// The client's address, when the driver knows it.
    pub fn client(&self) -> Option<SocketAddr> {
        self.0.client
    }

    /// The server's address, when the driver knows it.
    pub fn server(&self) -> Option<SocketAddr> {
        self.0.server
    }

    /// The subprotocols the client offered, in its order of preference.
    pub fn subprotocols(&self) -> &[String] {
        &self.0.subprotocols
    }

    /// The offered subprotocols, for middleware to edit: one that reads a
    /// token sent as a subprotocol removes it here, so that no consumer
    /// answers with it.
    pub fn subprotocols_mut(&mut self) -> &mut Vec<String> {
        &mut self.0.subprotocols
    }

    /// The text of the URL parameter `name` captured by the router.
    ///
    /// Channels: `self.scope["url_route"]["kwargs"]["room_name"]`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.0.params.get(name)
    }

    /// The value of the `<int:name>` URL parameter.
    pub fn param_int(&self, name: &str) -> Option<i64> {
        self.0.params.get_int(name)
    }

    /// All URL parameters captured by the routers.
    pub fn params(&self) -> &UrlParams {
        &self.0.params
    }

    /// The URL parameters, for routers to add to.
    pub fn params_mut(&mut self) -> &mut UrlParams {
        &mut self.0.params
    }

    /// The part of the path an outer router left for a nested one to match,
    /// without a leading `/`. `None` before any router has matched.
    pub fn path_remaining(&self) -> Option<&str> {
        self.0.path_remaining.as_deref()
    }

    /// Sets the part of the path left for a nested router.
    pub fn set_path_remaining(&mut self, rest: Option<String>) {
        self.0.path_remaining = rest;
    }

    /// Typed values added by middleware (a user, a session).
    pub fn extensions(&self) -> &Extensions {
        &self.0.extensions
    }

    /// Typed values, for middleware to add to.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.0.extensions
    }

    /// The channel layer this application talks through, if one is configured.
    pub fn channel_layer(&self) -> Option<&Arc<dyn ChannelLayer>> {
        self.0.channel_layer.as_ref()
    }

    /// The transport a WebSocket consumer's conversation travels on:
    /// [`Transport::WebSocket`] unless the client fell back to
    /// long-polling or Server-Sent Events.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind, Transport};
    ///
    /// let mut scope = Scope::new(ScopeKind::Websocket, "/ws/chat/lobby/");
    /// assert_eq!(scope.transport(), Transport::WebSocket);
    /// scope.set_transport(Transport::LongPolling);
    /// assert_eq!(scope.transport(), Transport::LongPolling);
    /// ```
    pub fn transport(&self) -> Transport {
        self.0.transport
    }

    /// Sets the transport; done by the driver of an HTTP transport.
    pub fn set_transport(&mut self, transport: Transport) {
        self.0.transport = transport;
    }

    /// Sets the query string, without the leading `?`; a driver removes
    /// its own parameters with this before the application sees them.
    pub fn set_query_string(&mut self, query: impl Into<String>) {
        self.0.query_string = query.into();
    }

    /// Sets the channel layer; done by `ProtocolTypeRouter` and the test communicator.
    pub fn set_channel_layer(&mut self, layer: Option<Arc<dyn ChannelLayer>>) {
        self.0.channel_layer = layer;
    }
}

/// Headers that only carry out the WebSocket handshake. The server has
/// used them by the time a consumer runs, so the scope does not keep them
/// for the life of the connection.
const HANDSHAKE_HEADERS: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::UPGRADE,
    header::SEC_WEBSOCKET_KEY,
    header::SEC_WEBSOCKET_VERSION,
    header::SEC_WEBSOCKET_EXTENSIONS,
];

/// Copies header values into one allocation of their own.
///
/// hyper hands out header values as slices of its 8 KiB read buffer; a
/// scope that kept those slices would keep the whole buffer alive for as
/// long as the WebSocket stays open. One shared copy instead of one per
/// value keeps a long-lived connection's headers in a single block.
fn own_headers(kind: ScopeKind, headers: &HeaderMap) -> HeaderMap {
    let kept = |name: &header::HeaderName| {
        kind != ScopeKind::Websocket || !HANDSHAKE_HEADERS.contains(name)
    };
    let (count, len) = headers
        .iter()
        .filter(|(name, _)| kept(name))
        .fold((0, 0), |(count, len), (_, value)| {
            (count + 1, len + value.len())
        });
    let mut values = BytesMut::with_capacity(len);
    for (_, value) in headers.iter().filter(|(name, _)| kept(name)) {
        values.extend_from_slice(value.as_bytes());
    }
    let mut values = values.freeze();
    let mut owned = HeaderMap::with_capacity(count);
    for (name, value) in headers.iter().filter(|(name, _)| kept(name)) {
        let bytes = values.split_to(value.len());
        let mut copy = HeaderValue::from_maybe_shared(bytes).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("kind", &self.0.kind)
            .field("transport", &self.0.transport)
            .field("path", &self.0.path)
            .field("query_string", &self.0.query_string)
            .field("client", &self.0.client)
            .field("subprotocols", &self.0.subprotocols)
            .field("params", &self.0.params)
            .field("channel_layer", &self.0.channel_layer.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Cookie` headers, a name, and the value expected.
    type Case = (&'static [&'static [u8]], &'static str, Option<&'static str>);

    fn with_cookies(headers: &[&[u8]]) -> Scope {
        let mut request = http::Request::get("/ws/");
        for header in headers {
            request = request.header(header::COOKIE, HeaderValue::from_bytes(header).unwrap());
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        Scope::from_request_parts(ScopeKind::Websocket, &parts)
    }

    #[test]
    fn cookies_are_found_across_headers_and_bad_pairs_are_skipped() {
        #[rustfmt::skip]
        let cases: [Case; 8] = [
            (&[b"a=1; b=2"],             "b", Some("2")),
            (&[b"a=1", b"b=2"],          "b", Some("2")),
            (&[b"a=1; a=2"],             "a", Some("1")),
            (&[b"=x; a=1"],              "a", Some("1")),
            (&[b"a=\"q v\""],          "a", Some("\"q v\"")),
            (&[b"a=%41"],                "a", Some("%41")),
            (&[b"\xff=1", b"a=2"],       "a", Some("2")),
            (&[],                        "a", None),
        ];
        for (headers, name, expected) in cases {
            let scope = with_cookies(headers);
            assert_eq!(scope.cookie(name), expected, "{headers:?} {name}");
        }
    }

    #[test]
    fn new_encodes_what_a_browser_would_and_keeps_the_rest() {
        // (path given, path, raw_path, query_string)
        #[rustfmt::skip]
        let cases = [
            ("/ws/echo/?x=1",     "/ws/echo/",     "/ws/echo/",         "x=1"),
            ("/ws/chat/café/",    "/ws/chat/café/", "/ws/chat/caf%C3%A9/", ""),
            ("/ws/caf%C3%A9/",    "/ws/café/",     "/ws/caf%C3%A9/",    ""),
            ("/ws/a b/?q=a b",    "/ws/a b/",      "/ws/a%20b/",        "q=a%20b"),
        ];
        for (given, path, raw_path, query) in cases {
            let scope = Scope::new(ScopeKind::Websocket, given);
            assert_eq!(
                (scope.path(), scope.raw_path(), scope.query_string()),
                (path, raw_path, query),
                "{given:?}"
            );
        }
    }

    /// Regression: `Scope::new` turned a path it could not parse into `/`
    /// without a word, so a test could pass against the wrong route.
    #[test]
    fn new_refuses_what_is_no_path_instead_of_routing_it_to_the_root() {
        for bad in ["ws/echo/", "http://example.com/ws/", ""] {
            let caught = std::panic::catch_unwind(|| Scope::new(ScopeKind::Websocket, bad));
            let message = crate::error::panic_message(&*caught.unwrap_err());
            assert!(message.contains("is not a URL path"), "{bad:?}: {message}");
        }
    }

    fn scope_of(kind: ScopeKind) -> Scope {
        let request = http::Request::get("/ws/chat/lobby/")
            .header("host", "example.com")
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-extensions", "permessage-deflate")
            .header("sec-websocket-protocol", "chat.v1")
            .header("origin", "https://example.com")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .body(())
            .unwrap();
        Scope::from_request_parts(kind, &request.into_parts().0)
    }

    #[test]
    fn websocket_scope_keeps_what_consumers_read_and_drops_handshake_mechanics() {
        let headers = scope_of(ScopeKind::Websocket).0.headers;
        let names: Vec<&str> = headers.keys().map(|name| name.as_str()).collect();
        assert_eq!(
            names,
            ["host", "sec-websocket-protocol", "origin", "cookie"],
            "{headers:?}"
        );
        let cookies: Vec<_> = headers.get_all("cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(headers["origin"], "https://example.com");
    }

    #[test]
    fn http_scope_keeps_every_header() {
        let headers = scope_of(ScopeKind::Http).0.headers;
        assert_eq!(headers.len(), 10);
        assert_eq!(headers["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
    }
}
