//! bench-plain-room's server over a real loopback socket.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{self, Message};

/// Starts the plain room server on a free port and returns its address.
async fn plain_rooms() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(aqueduct_bench::raw::serve_plain_rooms(listener));
    addr
}

#[tokio::test]
async fn a_client_gets_its_chat_message_back_as_the_chat_example_sends_it() {
    let addr = plain_rooms().await;
    let url = format!("ws://{addr}/ws/chat/lobby/");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket
        .send(Message::text(r#"{"message": "hi"}"#))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(reply, Message::text(r#"{"message":"hi"}"#));
}

#[tokio::test]
async fn every_member_of_the_room_and_no_one_else_hears_it() {
    let addr = plain_rooms().await;
    let connect =
        |room: &str| tokio_tungstenite::connect_async(format!("ws://{addr}/ws/chat/{room}/"));
    let (mut sender, _) = connect("a").await.unwrap();
    let (mut listener, _) = connect("a").await.unwrap();
    let (mut elsewhere, _) = connect("b").await.unwrap();
    sender
        .send(Message::text(r#"{"message":"x"}"#))
        .await
        .unwrap();
    let heard = listener.next().await.unwrap().unwrap();
    assert_eq!(heard, Message::text(r#"{"message":"x"}"#));
    elsewhere
        .send(Message::text(r#"{"message":"y"}"#))
        .await
        .unwrap();
    // The other room's member hears only its own message.
    let own = elsewhere.next().await.unwrap().unwrap();
    assert_eq!(own, Message::text(r#"{"message":"y"}"#));
}

#[tokio::test]
async fn other_paths_are_not_found() {
    let addr = plain_rooms().await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/echo/")).await;
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("expected 404, got {other:?}"),
    }
}
