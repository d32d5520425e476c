//! The life of a connection: disconnect runs exactly once however it ends,
//! failures close with 1011, shutdown closes with 1001.

use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct_tests::{Reports, TestServer, connect, expect_close, recv_text, reports, send_text};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// Reports its hooks, and misbehaves on request.
#[derive(Debug)]
struct Probe {
    reports: UnboundedSender<String>,
}

#[async_trait]
impl WebsocketConsumer for Probe {
    type Event = NoEvents;

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        match message.as_text().unwrap_or_default() {
            "close" => ctx.close(CloseCode::from(4001)).await,
            "error" => Err(aqueduct::Error::msg("receive failed")),
            "panic" => panic!("bug in receive"),
            "sleep" => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            }
            text => ctx.send_text(format!("echo {text}")).await,
        }
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        let _ = self.reports.send(format!("disconnect {}", code.as_u16()));
        Ok(())
    }
}

fn app() -> (ProtocolTypeRouter, Reports<String>) {
    let (tx, reports) = reports();
    let app = UrlRouter::new().route("ws/probe/", move || Probe {
        reports: tx.clone(),
    });
    (app.into(), reports)
}

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn clean_close_by_the_client_runs_disconnect_once_with_its_code() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/ws/probe/")).await;
    client
        .close(Some(CloseFrame {
            code: 4000.into(),
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    assert_eq!(reports.next().await, "disconnect 4000");
    reports.expect_none(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn dropped_tcp_connection_runs_disconnect_with_1006() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;
    let client = connect(&server.ws("/ws/probe/")).await;
    drop(client);
    assert_eq!(reports.next().await, "disconnect 1006");
    reports.expect_none(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn consumer_close_reaches_the_client_and_runs_disconnect_once() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/ws/probe/")).await;
    send_text(&mut client, "close").await;
    assert_eq!(expect_close(&mut client).await, 4001);
    assert_eq!(reports.next().await, "disconnect 4001");
    reports.expect_none(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn error_or_panic_after_accept_closes_with_1011_and_the_server_keeps_serving() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;
    for failure in ["error", "panic"] {
        let mut client = connect(&server.ws("/ws/probe/")).await;
        send_text(&mut client, failure).await;
        assert_eq!(expect_close(&mut client).await, 1011, "{failure}");
        assert_eq!(reports.next().await, "disconnect 1011", "{failure}");
    }
    let mut client = connect(&server.ws("/ws/probe/")).await;
    send_text(&mut client, "still alive?").await;
    assert_eq!(recv_text(&mut client).await, "echo still alive?");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_runs_disconnect() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;
    let mut first = connect(&server.ws("/ws/probe/")).await;
    let mut second = connect(&server.ws("/ws/probe/")).await;
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(expect_close(&mut first).await, 1001);
    assert_eq!(expect_close(&mut second).await, 1001);
    assert_eq!(reports.next().await, "disconnect 1001");
    assert_eq!(reports.next().await, "disconnect 1001");
    stopping.await.unwrap();
}

#[tokio::test]
async fn shutdown_gives_up_on_a_stuck_consumer_after_its_deadline() {
    let (app, _reports) = app();
    let server = TestServer::start_with(app, |server| {
        server.shutdown_timeout(Duration::from_millis(300))
    })
    .await;
    let mut client = connect(&server.ws("/ws/probe/")).await;
    send_text(&mut client, "sleep").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_client_that_answers_no_ping_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (app, mut reports) = app();
    let server = TestServer::start_with(app, |server| {
        server
            .ping_interval(Duration::from_millis(100))
            .ping_timeout(Duration::from_millis(200))
    })
    .await;

    // A live client sends nothing but keeps reading, which answers the
    // pings (tungstenite replies while reading).
    let mut live = connect(&server.ws("/ws/probe/")).await;
    let reader = tokio::spawn(async move {
        let mut pings = 0;
        let quiet_until = tokio::time::Instant::now() + Duration::from_millis(800);
        while let Ok(Some(frame)) = tokio::time::timeout_at(quiet_until, live.next()).await {
            if let WsMessage::Ping(_) = frame.expect("live client was dropped") {
                pings += 1;
            }
        }
        (live, pings)
    });

    // A raw socket that completes the handshake and then goes silent.
    let mut dead = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET /ws/probe/ HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr()
    );
    dead.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    dead.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    assert_eq!(reports.next().await, "disconnect 1006");

    let (mut live, pings) = reader.await.unwrap();
    assert!(pings >= 2, "the server sent {pings} pings in 800 ms");
    live.send(WsMessage::text("hello")).await.unwrap();
    assert_eq!(recv_text(&mut live).await, "echo hello");
    reports.expect_none(QUIET).await;
    drop(dead);
    server.shutdown().await;
}
