//! The chat example over real sockets: rooms, isolation, bad input, scale.

use std::time::Duration;

use aqueduct_tests::{
    TestServer, connect, connect_refused, expect_close, expect_nothing, http_get, recv_json,
    send_text,
};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn room_members_all_hear_a_message_and_other_rooms_do_not() {
    let server = TestServer::start(example_chat::app()).await;
    let mut alice = connect(&server.ws("/ws/chat/lobby/")).await;
    let mut bob = connect(&server.ws("/ws/chat/lobby/")).await;
    let mut carol = connect(&server.ws("/ws/chat/other/")).await;

    send_text(&mut alice, r#"{"message":"hi"}"#).await;
    assert_eq!(recv_json(&mut alice).await, json!({"message": "hi"}));
    assert_eq!(recv_json(&mut bob).await, json!({"message": "hi"}));
    expect_nothing(&mut carol, QUIET).await;

    send_text(&mut carol, r#"{"message":"anyone?"}"#).await;
    assert_eq!(recv_json(&mut carol).await, json!({"message": "anyone?"}));
    expect_nothing(&mut alice, QUIET).await;
    expect_nothing(&mut bob, QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_message_closes_only_its_sender() {
    let server = TestServer::start(example_chat::app()).await;
    let mut rude = connect(&server.ws("/ws/chat/lobby/")).await;
    let mut binary = connect(&server.ws("/ws/chat/lobby/")).await;
    let mut polite = connect(&server.ws("/ws/chat/lobby/")).await;

    send_text(&mut rude, "this is not JSON").await;
    assert_eq!(expect_close(&mut rude).await, 1007);
    binary.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(expect_close(&mut binary).await, 1003);

    send_text(&mut polite, r#"{"message":"still here"}"#).await;
    assert_eq!(
        recv_json(&mut polite).await,
        json!({"message": "still here"})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn two_hundred_clients_in_one_room_all_receive() {
    let server = TestServer::start(example_chat::app()).await;
    let mut clients = Vec::new();
    for _ in 0..200 {
        clients.push(connect(&server.ws("/ws/chat/lobby/")).await);
    }
    send_text(&mut clients[0], r#"{"message":"hi"}"#).await;
    for client in &mut clients {
        assert_eq!(recv_json(client).await, json!({"message": "hi"}));
    }
    send_text(&mut clients[199], r#"{"message":"bye"}"#).await;
    for client in &mut clients {
        assert_eq!(recv_json(client).await, json!({"message": "bye"}));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn room_name_that_cannot_be_a_group_is_refused_with_400() {
    let server = TestServer::start(example_chat::app()).await;
    let (status, body) = connect_refused(&server.ws("/ws/chat/caf%C3%A9/")).await;
    assert_eq!(status, 400);
    assert!(body.contains("room names may use"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn pages_are_served_over_http() {
    let server = TestServer::start(example_chat::app()).await;
    let (status, body) = http_get(server.addr(), "/chat/").await;
    assert_eq!(status, 200);
    assert!(body.contains("room-name-input"), "{body}");
    let (status, body) = http_get(server.addr(), "/chat/lobby/").await;
    assert_eq!(status, 200);
    assert!(body.contains("/ws/chat/"), "{body}");
    let (status, _) = http_get(server.addr(), "/nowhere").await;
    assert_eq!(status, 404);
    server.shutdown().await;
}
