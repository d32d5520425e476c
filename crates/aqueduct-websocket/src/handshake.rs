//! Recognising a WebSocket handshake, and the answer that accepts it.
//!
//! Two handshakes lead to the same conversation: HTTP/1.1's `GET` with
//! `Upgrade: websocket`, answered `101 Switching Protocols` (RFC 6455), and
//! HTTP/2's extended `CONNECT` with `:protocol = websocket`, answered
//! `200 OK` on the stream it opened (RFC 8441).

use aqueduct_core::Body;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version, header};
use hyper_tungstenite::tungstenite::handshake::derive_accept_key;

/// Whether `request` asks to open a WebSocket, over HTTP/1.1 or HTTP/2.
///
/// A host checks this to send the request to [`Driver::handshake`](crate::Driver::handshake)
/// rather than to its HTTP application.
///
/// ```
/// let request = http::Request::get("/ws/")
///     .header("connection", "Upgrade")
///     .header("upgrade", "websocket")
///     .body(())
///     .unwrap();
/// assert!(aqueduct_websocket::is_websocket_request(&request));
/// assert!(!aqueduct_websocket::is_websocket_request(&http::Request::get("/").body(()).unwrap()));
/// ```
pub fn is_websocket_request<B>(request: &Request<B>) -> bool {
    if request.method() == Method::CONNECT {
        return request
            .extensions()
            .get::<hyper::ext::Protocol>()
            .is_some_and(|protocol| protocol.as_str().eq_ignore_ascii_case("websocket"));
    }
    hyper_tungstenite::is_upgrade_request(request)
}

/// Checks the handshake (RFC 6455 section 4.2.1, or RFC 8441 section 5)
/// and prepares the answer to send once the application accepts.
///
/// Hosts take hyper's upgrade themselves rather than through
/// `hyper_tungstenite::upgrade`, so that the driver can choose the stream
/// the WebSocket reads from (see `LeanIo`).
pub(crate) fn accepting<B>(request: &Request<B>) -> Result<Response<Body>, &'static str> {
    let headers = request.headers();
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err("Sec-WebSocket-Version must be 13");
    }
    if request.method() == Method::CONNECT && request.version() == Version::HTTP_2 {
        // RFC 8441: no key and no `Upgrade` header; a 2xx opens the stream.
        return Ok(Response::new(Body::empty()));
    }
    if request.method() != Method::GET {
        return Err("a WebSocket handshake must be a GET request");
    }
    switching_protocols(headers)
}

/// The `101` of an HTTP/1.1 handshake, with the key's digest.
fn switching_protocols(headers: &HeaderMap) -> Result<Response<Body>, &'static str> {
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or("missing Sec-WebSocket-Key header")?;
    let accept = HeaderValue::try_from(derive_accept_key(key.as_bytes()))
        .expect("a base64 digest is a valid header value");
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request header, name and value.
    type Header = (&'static str, &'static str);

    fn request(method: Method, version: Version, pairs: &[Header]) -> Request<()> {
        let mut request = Request::builder()
            .method(method)
            .version(version)
            .uri("/ws/");
        for &(name, value) in pairs {
            request = request.header(name, value);
        }
        request.body(()).unwrap()
    }

    #[test]
    fn accept_key_is_the_one_rfc_6455_gives_for_its_sample_key() {
        let request = request(
            Method::GET,
            Version::HTTP_11,
            &[
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("sec-websocket-version", "13"),
            ],
        );
        let response = accepting(&request).unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            response.headers()[header::SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(response.headers()[header::UPGRADE], "websocket");
    }

    #[test]
    fn an_http2_connect_is_accepted_with_200_and_no_upgrade_headers() {
        let request = request(
            Method::CONNECT,
            Version::HTTP_2,
            &[("sec-websocket-version", "13")],
        );
        let response = accepting(&request).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().is_empty());
    }

    #[test]
    fn bad_handshakes_are_refused_with_the_reason() {
        let key = ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        let v13 = ("sec-websocket-version", "13");
        #[rustfmt::skip]
        let cases: &[(Method, &[Header], &str)] = &[
            (Method::GET,  &[v13],                                  "missing Sec-WebSocket-Key header"),
            (Method::GET,  &[key],                                  "Sec-WebSocket-Version must be 13"),
            (Method::GET,  &[key, ("sec-websocket-version", "8")],  "Sec-WebSocket-Version must be 13"),
            (Method::POST, &[key, v13],                             "a WebSocket handshake must be a GET request"),
        ];
        for (method, pairs, expected) in cases {
            let request = request(method.clone(), Version::HTTP_11, pairs);
            assert_eq!(
                accepting(&request).unwrap_err(),
                *expected,
                "{method} {pairs:?}"
            );
        }
    }
}
