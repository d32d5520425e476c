//! The axum application over real loopback sockets: REST and WebSocket on
//! one port, served by `axum::serve`.

use std::net::SocketAddr;
use std::time::Duration;

use aqueduct_tests::{connect, connect_refused, expect_close, http_request, recv_json, send_text};
use serde_json::json;

/// Serves the example's app with `axum::serve` on an ephemeral port.
async fn serve() -> (SocketAddr, aqueduct::Driver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (app, websockets) = example_axum::app();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, websockets)
}

#[tokio::test]
async fn rest_routes_and_the_page_answer_with_the_middleware_header() {
    let (addr, _) = serve().await;
    #[rustfmt::skip]
    let table = [
        ("GET",  "/",                          None,                       200, "axum + aqueduct chat"),
        ("GET",  "/api/health",                None,                       200, r#"{"status":"ok"}"#),
        ("POST", "/api/rooms/lobby/messages",  Some(r#"{"message":"x"}"#), 202, r#"{"delivered":0}"#),
        ("POST", "/api/rooms/lobby/messages",  Some(r#"{"nope":1}"#),      422, "missing field `message`"),
        ("GET",  "/missing",                   None,                       404, ""),
    ];
    for (method, path, body, status, expected) in table {
        let reply = http_request(addr, method, path, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
        assert!(reply.body.contains(expected), "{method} {path}: {reply:?}");
        assert_eq!(
            reply.header("server"),
            Some("example-axum"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn chat_over_websocket_on_the_same_port_hears_itself_and_the_rest_api() {
    let (addr, _) = serve().await;
    let mut alice = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
    let mut bob = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;

    send_text(&mut alice, r#"{"message":"hello from a socket"}"#).await;
    for client in [&mut alice, &mut bob] {
        assert_eq!(
            recv_json(client).await,
            json!({"message": "hello from a socket"})
        );
    }

    // The REST handler and the consumers share one channel layer.
    let reply = http_request(
        addr,
        "POST",
        "/api/rooms/lobby/messages",
        Some(r#"{"message":"hello from REST"}"#),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (202, r#"{"delivered":2}"#)
    );
    for client in [&mut alice, &mut bob] {
        assert_eq!(
            recv_json(client).await,
            json!({"message": "hello from REST"})
        );
    }
}

#[tokio::test]
async fn the_consumer_refuses_a_bad_room_name_through_axum() {
    let (addr, _) = serve().await;
    let (status, body) = connect_refused(&format!("ws://{addr}/ws/chat/no%20spaces/")).await;
    assert_eq!(status, 400);
    assert!(body.contains("room names"), "{body}");
}

#[tokio::test]
async fn shutting_the_driver_down_closes_upgraded_sockets_with_1001() {
    let (addr, websockets) = serve().await;
    let mut client = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
    assert!(websockets.shutdown(Duration::from_secs(5)).await);
    assert_eq!(expect_close(&mut client).await, 1001);
}
