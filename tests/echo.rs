//! The echo example over a real socket.

use aqueduct_tests::{TestServer, connect, recv};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn echoes_text_and_binary_unchanged() {
    let server = TestServer::start(example_echo::app()).await;
    let mut client = connect(&server.ws("/ws/echo/")).await;
    let table = [
        Message::text("hello"),
        Message::text(""),
        Message::text("ünïcödé ✓"),
        Message::binary(vec![0u8, 255, 1]),
        Message::binary(vec![7u8; 200_000]),
    ];
    for message in table {
        client.send(message.clone()).await.unwrap();
        assert_eq!(recv(&mut client).await, message);
    }
    server.shutdown().await;
}
