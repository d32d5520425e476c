//! The `101 Switching Protocols` answer to a WebSocket handshake.

use aqueduct_core::Body;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use hyper_tungstenite::tungstenite::handshake::derive_accept_key;

/// Checks the handshake's key and version (RFC 6455, section 4.2.1) and
/// prepares the `101` to send once the application accepts.
///
/// The server takes hyper's upgrade itself rather than through
/// `hyper_tungstenite::upgrade`, so that it can choose the stream the
/// WebSocket reads from (see `LeanIo`).
pub(crate) fn switching_protocols(headers: &HeaderMap) -> Result<Response<Body>, &'static str> {
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or("missing Sec-WebSocket-Key header")?;
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err("Sec-WebSocket-Version must be 13");
    }
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

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(name, value)| {
                (
                    http::HeaderName::try_from(name).unwrap(),
                    HeaderValue::try_from(value).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn accept_key_is_the_one_rfc_6455_gives_for_its_sample_key() {
        let request = headers(&[
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
        ]);
        let response = switching_protocols(&request).unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            response.headers()[header::SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(response.headers()[header::UPGRADE], "websocket");
    }

    #[test]
    fn missing_key_or_wrong_version_is_refused() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("sec-websocket-version", "13")],
                "missing Sec-WebSocket-Key header",
            ),
            (
                &[("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")],
                "Sec-WebSocket-Version must be 13",
            ),
            (
                &[
                    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                    ("sec-websocket-version", "8"),
                ],
                "Sec-WebSocket-Version must be 13",
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(switching_protocols(&headers(pairs)).unwrap_err(), *expected);
        }
    }
}
