//! Bad input from a client gets the right close code and hurts nobody else.

use aqueduct_tests::{TestServer, connect, expect_close, recv_text, send_text};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

#[tokio::test]
async fn bad_input_gets_the_close_code_rfc_6455_gives_it() {
    let server = TestServer::start_with(example_echo::app(), |server| {
        server.max_message_size(64 * 1024).max_frame_size(64 * 1024)
    })
    .await;
    let url = server.ws("/ws/echo/");
    let mut bystander = connect(&url).await;

    let invalid_utf8 = Frame::message(vec![0x66, 0x6f, 0xff, 0xfe], OpCode::Data(Data::Text), true);
    let mut reserved_bit = Frame::message(b"x".to_vec(), OpCode::Data(Data::Binary), true);
    reserved_bit.header_mut().rsv1 = true;
    let unknown_opcode = Frame::message(b"x".to_vec(), OpCode::Data(Data::Reserved(3)), true);
    let table = [
        (
            "message over the limit",
            Message::text("x".repeat(64 * 1024 + 1)),
            1009,
        ),
        (
            "invalid UTF-8 in a text frame",
            Message::Frame(invalid_utf8),
            1007,
        ),
        ("reserved bit set", Message::Frame(reserved_bit), 1002),
        ("unknown opcode", Message::Frame(unknown_opcode), 1002),
    ];
    for (case, message, code) in table {
        let mut client = connect(&url).await;
        client.send(message).await.unwrap();
        assert_eq!(expect_close(&mut client).await, code, "{case}");
    }

    send_text(&mut bystander, "unharmed").await;
    assert_eq!(recv_text(&mut bystander).await, "unharmed");
    server.shutdown().await;
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let server = TestServer::start(example_echo::app()).await;
    let url = server.ws("/ws/echo/");

    let mut client = connect(&url).await;
    let fits = "x".repeat(1 << 20);
    send_text(&mut client, &fits).await;
    assert_eq!(recv_text(&mut client).await.len(), 1 << 20);

    let too_big = "x".repeat((1 << 20) + 1);
    send_text(&mut client, &too_big).await;
    assert_eq!(expect_close(&mut client).await, 1009);
    server.shutdown().await;
}
