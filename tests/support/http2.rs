//! An HTTP/2 client (hyper's) that opens WebSockets as streams, by RFC
//! 8441's extended CONNECT, over any connection.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Empty;
use hyper::client::conn::http2::{self, SendRequest};
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

/// A WebSocket carried by one stream of an HTTP/2 connection.
pub type Http2Client = WebSocketStream<TokioIo<Upgraded>>;

/// Starts HTTP/2 on `io` (after TLS's ALPN, or with prior knowledge).
pub async fn http2_handshake<I>(io: I) -> SendRequest<Empty<Bytes>>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    send
}

/// Opens a WebSocket to `uri` (absolute) as a stream of `h2`: `CONNECT`
/// with `:protocol = websocket`, which the server must answer 200.
pub async fn connect_http2(h2: &mut SendRequest<Empty<Bytes>>, uri: &str) -> Http2Client {
    let connect = || {
        let mut request = Request::builder()
            .method(Method::CONNECT)
            .uri(uri)
            .header("sec-websocket-version", "13")
            .body(Empty::<Bytes>::new())
            .unwrap();
        request
            .extensions_mut()
            .insert(hyper::ext::Protocol::from_static("websocket"));
        request
    };
    // The client may only send an extended CONNECT once the server's
    // SETTINGS allowed it; the first request can race them.
    let mut response = None;
    for _ in 0..50 {
        match h2.send_request(connect()).await {
            Ok(answer) => {
                response = Some(answer);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let mut response = response.expect("the server never allowed extended CONNECT");
    assert_eq!(response.status(), StatusCode::OK);
    let upgraded = hyper::upgrade::on(&mut response)
        .await
        .expect("HTTP/2 upgrade");
    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await
}
