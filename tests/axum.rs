//! aqueduct mounted in an axum application, served by `axum::serve` over
//! real loopback sockets: every way axum mounts a tower service, for
//! consumers and views alike.

use std::net::SocketAddr;

use aqueduct::prelude::*;
use aqueduct::views::{Views, accept_websocket, require_websocket};
use aqueduct_tests::{
    WAIT, connect, connect_http2, connect_refused, http_get, http2_handshake, recv_json, recv_text,
    send_text,
};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Serves `router` with `axum::serve` on an ephemeral port.
async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn chat() -> UrlRouter {
    UrlRouter::new().route("ws/chat/<room_name>/", example_chat::ChatConsumer::default)
}

fn home() -> axum::Router {
    axum::Router::new().route("/", get(|| async { "home" }))
}

#[tokio::test]
async fn consumers_mount_with_route_service_nest_service_and_fallback_service() {
    let layer = || InMemoryChannelLayer::new();
    let with_layer = |urls: UrlRouter| ProtocolTypeRouter::from(urls).with_channel_layer(layer());
    // `nest_service` strips its prefix: the inner router sees the rest.
    let nested = UrlRouter::new().route("chat/<room_name>/", example_chat::ChatConsumer::default);
    #[rustfmt::skip]
    let table: [(&str, axum::Router); 3] = [
        ("route_service",    home().route_service("/ws/chat/{room_name}/", with_layer(chat()))),
        ("nest_service",     home().nest_service("/ws", with_layer(nested))),
        ("fallback_service", home().fallback_service(with_layer(chat()))),
    ];
    for (how, router) in table {
        let addr = serve(router).await;
        assert_eq!(http_get(addr, "/").await, (200, "home".to_owned()), "{how}");
        let mut alice = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
        let mut bob = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
        send_text(&mut alice, r#"{"message":"hi"}"#).await;
        for client in [&mut alice, &mut bob] {
            assert_eq!(recv_json(client).await, json!({"message": "hi"}), "{how}");
        }
    }
}

#[tokio::test]
async fn a_url_router_on_its_own_routes_by_path_and_refuses_what_it_lacks() {
    let echo = UrlRouter::new().route("ws/echo/", example_echo::EchoConsumer::default);
    let addr = serve(home().fallback_service(echo)).await;
    let mut client = connect(&format!("ws://{addr}/ws/echo/")).await;
    send_text(&mut client, "ping").await;
    assert_eq!(recv_text(&mut client).await, "ping");
    assert_eq!(
        connect_refused(&format!("ws://{addr}/ws/nope/")).await.0,
        404
    );
    // Plain HTTP that axum sends on to a UrlRouter has nothing to answer it.
    assert_eq!(http_get(addr, "/elsewhere").await.0, 404);
}

#[tokio::test]
async fn views_answer_http_and_websocket_under_axum() {
    let views = Views::new()
        .route("echo/", accept_websocket(example_views::echo))
        .route("ws-only/", require_websocket(example_views::ws_only));
    #[rustfmt::skip]
    let table: [(&str, axum::Router); 3] = [
        ("Views as fallback_service",              home().fallback_service(views.clone())),
        ("ProtocolTypeRouter as fallback_service", home().fallback_service(ProtocolTypeRouter::from(views))),
        ("one View per route_service",             home()
            .route_service("/echo/", accept_websocket(example_views::echo))
            .route_service("/ws-only/", require_websocket(example_views::ws_only))),
    ];
    for (how, router) in table {
        let addr = serve(router).await;
        assert_eq!(
            http_get(addr, "/echo/?message=hi").await,
            (200, "hi".to_owned()),
            "{how}"
        );
        assert_eq!(http_get(addr, "/ws-only/").await.0, 400, "{how}");
        for path in ["/echo/", "/ws-only/"] {
            let mut client = connect(&format!("ws://{addr}{path}")).await;
            send_text(&mut client, "ping").await;
            assert_eq!(recv_text(&mut client).await, "ping", "{how} {path}");
        }
    }
}

#[tokio::test]
async fn under_axum_a_websocket_can_be_an_http2_stream() {
    let chat = ProtocolTypeRouter::from(chat()).with_channel_layer(InMemoryChannelLayer::new());
    let addr = serve(home().route_service("/ws/chat/{room_name}/", chat)).await;
    // HTTP/2 with prior knowledge: axum's server speaks it on plain TCP.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut h2 = http2_handshake(tcp).await;
    let uri = format!("http://{addr}/ws/chat/lobby/");
    let mut over_h2 = connect_http2(&mut h2, &uri).await;
    let mut over_h1 = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;

    over_h2
        .send(WsMessage::text(r#"{"message":"from a stream"}"#))
        .await
        .unwrap();
    assert_eq!(
        recv_json(&mut over_h1).await,
        json!({"message": "from a stream"})
    );
    send_text(&mut over_h1, r#"{"message":"from http/1.1"}"#).await;
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let frame = tokio::time::timeout(WAIT, over_h2.next()).await.unwrap();
        heard.push(frame.unwrap().unwrap().into_text().unwrap().to_string());
    }
    assert_eq!(
        heard,
        [
            r#"{"message":"from a stream"}"#,
            r#"{"message":"from http/1.1"}"#
        ]
    );
}
