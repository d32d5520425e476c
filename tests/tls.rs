//! The server over real TLS, with a certificate the test makes: `wss://`
//! over HTTP/1.1, `https://` over HTTP/2 chosen by ALPN, and WebSockets
//! over HTTP/2 streams (RFC 8441 extended CONNECT) with hyper as the client.

use aqueduct_tests::{
    Reports, ScopeRecorder, TestCert, TestServer, WAIT, connect_http2, http2_handshake, recv_json,
    send_text,
};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http2;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// The chat over TLS, and what each WebSocket's scope said of its
/// HTTP version and scheme.
async fn chat_over_tls(cert: &TestCert) -> (TestServer, Reports<(Version, String)>) {
    let (cert_path, key_path) = (cert.cert_path(), cert.key_path());
    let chat = example_chat::app();
    let (recorder, scopes) = ScopeRecorder::new(chat.clone());
    let server = TestServer::start_with(chat.websocket(recorder), move |server| {
        server
            .tls_pem_files(cert_path, key_path)
            .expect("the test certificate")
    })
    .await;
    (server, scopes)
}

/// An HTTP/2 connection to the server, as `localhost`, over TLS.
async fn http2_client(cert: &TestCert, server: &TestServer) -> http2::SendRequest<Empty<Bytes>> {
    let tls = cert.connect(server.addr(), &[b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    http2_handshake(tls).await
}

#[tokio::test]
async fn two_wss_clients_chat_through_tls() {
    let cert = TestCert::new();
    let (server, mut scopes) = chat_over_tls(&cert).await;
    let url = format!("wss://localhost:{}/ws/chat/lobby/", server.addr().port());
    let mut alice = cert.connect_websocket(&url).await;
    assert_eq!(scopes.next().await, (Version::HTTP_11, "wss".to_owned()));
    let mut bob = cert.connect_websocket(&url).await;
    send_text(&mut alice, r#"{"message":"over TLS"}"#).await;
    for client in [&mut alice, &mut bob] {
        assert_eq!(recv_json(client).await, json!({"message": "over TLS"}));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn alpn_chooses_http2_or_http1_for_the_http_arm() {
    let cert = TestCert::new();
    let (server, _) = chat_over_tls(&cert).await;

    let mut h2 = http2_client(&cert, &server).await;
    let request = Request::get("https://localhost/chat/")
        .body(Empty::new())
        .unwrap();
    let response = h2.send_request(request).await.unwrap();
    assert_eq!(
        (response.status(), response.version()),
        (StatusCode::OK, Version::HTTP_2)
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("room-name-input"));

    let tls = cert.connect(server.addr(), &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut h1, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::get("/chat/")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = h1.send_request(request).await.unwrap();
    assert_eq!(
        (response.status(), response.version()),
        (StatusCode::OK, Version::HTTP_11)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_websocket_over_an_http2_stream_chats_with_one_over_http1() {
    let cert = TestCert::new();
    let (server, mut scopes) = chat_over_tls(&cert).await;
    let mut h2 = http2_client(&cert, &server).await;

    // RFC 8441: CONNECT with `:protocol = websocket`, answered 200.
    let mut over_h2 = connect_http2(&mut h2, "https://localhost/ws/chat/lobby/").await;

    assert_eq!(scopes.next().await, (Version::HTTP_2, "wss".to_owned()));
    let url = format!("wss://localhost:{}/ws/chat/lobby/", server.addr().port());
    let mut over_h1 = cert.connect_websocket(&url).await;

    over_h2
        .send(Message::text(r#"{"message":"from an h2 stream"}"#))
        .await
        .unwrap();
    assert_eq!(
        recv_json(&mut over_h1).await,
        json!({"message": "from an h2 stream"})
    );
    let echoed = tokio::time::timeout(WAIT, over_h2.next()).await.unwrap();
    assert_eq!(
        echoed.unwrap().unwrap(),
        Message::text(r#"{"message":"from an h2 stream"}"#)
    );
    send_text(&mut over_h1, r#"{"message":"from http/1.1"}"#).await;
    let heard = tokio::time::timeout(WAIT, over_h2.next()).await.unwrap();
    assert_eq!(
        heard.unwrap().unwrap(),
        Message::text(r#"{"message":"from http/1.1"}"#)
    );
    server.shutdown().await;
}
