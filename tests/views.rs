//! dwebsocket-style views over real sockets: one view answers HTTP and
//! WebSocket at one path, next to an axum page and a consumer.

use std::time::Duration;

use aqueduct::views::{ViewRequest, accept_websocket, require_websocket};
use aqueduct::{CloseCode, ProtocolTypeRouter};
use aqueduct_tests::{
    Reports, TestServer, connect, connect_refused, expect_close, http_get, recv, recv_text,
    reports, send_text,
};
use futures_util::SinkExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// The bound the flood test gives its view's buffer.
const FLOOD_BOUND: usize = 4;
/// How many messages the flood test sends.
const FLOOD: usize = 200;

/// The example's views, plus views that report what they observe.
fn app() -> (ProtocolTypeRouter, Reports<String>) {
    let (tx, reports) = reports();
    let watch = move |request: ViewRequest| watch_the_end(request, tx.clone());
    let views = example_views::views()
        .route("watch/", require_websocket(watch))
        .route("count/", require_websocket(count))
        .route(
            "flood/",
            require_websocket(flood).max_buffered_messages(FLOOD_BOUND),
        )
        .route("boom/", accept_websocket(boom))
        .route("rooms/<int:id>/", accept_websocket(room));
    (example_views::app_with_views(views), reports)
}

/// Reads until `wait()` says the client is gone, then reports how it ended.
async fn watch_the_end(mut request: ViewRequest, tx: UnboundedSender<String>) {
    let ws = request.websocket().unwrap();
    while let Some(message) = ws.wait().await {
        let _ = tx.send(format!("got {}", message.as_text().unwrap_or_default()));
    }
    let code = ws.close_code().map(CloseCode::as_u16);
    let _ = tx.send(format!("end closed={} code={code:?}", ws.is_closed()));
}

/// Checks that nothing is waiting, lets three messages arrive without
/// reading them, reports the count, then reads them.
async fn count(mut request: ViewRequest) -> aqueduct::Result {
    let ws = request.websocket().unwrap();
    let idle = (ws.read().is_none(), ws.has_messages(), ws.count_messages());
    ws.send(format!("idle {idle:?}")).await?;
    while ws.count_messages() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let count = ws.count_messages();
    ws.send(format!("count {count}")).await?;
    let mut read = Vec::new();
    while let Some(message) = ws.read() {
        read.push(message.as_text().unwrap_or_default().to_owned());
    }
    ws.send(format!("read {}", read.join(","))).await?;
    Ok(())
}

/// Watches a flood without reading it, then reads it all.
async fn flood(mut request: ViewRequest) -> aqueduct::Result {
    let ws = request.websocket().unwrap();
    ws.send("ready").await?;
    let mut most = 0;
    for _ in 0..50 {
        most = most.max(ws.count_messages());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bound = ws.capacity();
    ws.send(format!("most {most} of {bound}")).await?;
    let mut in_order = 0;
    while in_order < FLOOD {
        match ws.wait().await {
            Some(message) if message.as_text() == Some(&in_order.to_string()) => in_order += 1,
            _ => break,
        }
    }
    ws.send(format!("read {in_order} in order")).await?;
    Ok(())
}

async fn boom(_request: ViewRequest) -> &'static str {
    panic!("bug in the view")
}

async fn room(mut request: ViewRequest) -> aqueduct::Result<String> {
    let id = request.param_int("id").unwrap_or_default();
    if let Some(ws) = request.websocket() {
        ws.send(format!("ws room {id}")).await?;
    }
    Ok(format!("http room {id}"))
}

#[tokio::test]
async fn plain_http_by_path() {
    let (app, _) = app();
    let server = TestServer::start(app).await;
    #[rustfmt::skip]
    let cases = [
        ("/echo/?message=hi",      200, "hi"),
        ("/echo/?message=a%20b",   200, "a b"),
        // No message: a 400 that says how to ask.
        ("/echo/",                 400, "Add a message: /echo/?message=hi"),
        ("/ws-only/",              400, "This URL only answers WebSocket connections; connect with a WebSocket client (ws://)."),
        ("/rooms/7/",              200, "http room 7"),
        ("/boom/",                 500, "Internal Server Error"),
        // Not a view: the axum arm answers.
        ("/",                      200, "aqueduct views:"),
        ("/rooms/x/",              404, ""),
    ];
    for (path, status, body) in cases {
        let (got_status, got_body) = http_get(server.addr(), path).await;
        assert_eq!(got_status, status, "{path}");
        assert!(got_body.starts_with(body), "{path}: {got_body:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn websocket_echo_keeps_text_and_binary_unchanged() {
    let (app, _) = app();
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/echo/")).await;
    let messages = [
        WsMessage::text("hello"),
        WsMessage::binary(vec![0u8, 159, 146, 150, 255]),
        WsMessage::text("çа va? ✓"),
        WsMessage::binary(Vec::new()),
    ];
    for message in messages {
        client.send(message.clone()).await.unwrap();
        assert_eq!(recv(&mut client).await, message);
    }

    let mut ws_only = connect(&server.ws("/ws-only/")).await;
    send_text(&mut ws_only, "once").await;
    assert_eq!(recv_text(&mut ws_only).await, "once");
    // The view returned: the connection closes normally.
    assert_eq!(expect_close(&mut ws_only).await, 1000);

    let mut room = connect(&server.ws("/rooms/42/")).await;
    assert_eq!(recv_text(&mut room).await, "ws room 42");
    assert_eq!(expect_close(&mut room).await, 1000);
    // Not a view: the websocket arm's consumer answers.
    let mut shout = connect(&server.ws("/ws/shout/")).await;
    send_text(&mut shout, "hi").await;
    assert_eq!(recv_text(&mut shout).await, "HI");
    shout.close(None).await.unwrap();
    client.close(None).await.unwrap();
    assert_eq!(connect_refused(&server.ws("/nowhere/")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn wait_returns_none_once_the_client_is_gone() {
    let (app, mut reports) = app();
    let server = TestServer::start(app).await;

    let mut client = connect(&server.ws("/watch/")).await;
    send_text(&mut client, "a").await;
    assert_eq!(reports.next().await, "got a");
    let frame = CloseFrame {
        code: 4000.into(),
        reason: "done".into(),
    };
    client.close(Some(frame)).await.unwrap();
    assert_eq!(reports.next().await, "end closed=true code=Some(4000)");

    // A client that vanishes without a close frame ends it too.
    let client = connect(&server.ws("/watch/")).await;
    drop(client);
    assert_eq!(reports.next().await, "end closed=true code=Some(1006)");
    server.shutdown().await;
}

#[tokio::test]
async fn read_does_not_wait_and_count_messages_counts_what_arrived() {
    let (app, _) = app();
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/count/")).await;
    assert_eq!(recv_text(&mut client).await, "idle (true, false, 0)");
    for text in ["a", "b", "c"] {
        send_text(&mut client, text).await;
    }
    assert_eq!(recv_text(&mut client).await, "count 3");
    assert_eq!(recv_text(&mut client).await, "read a,b,c");
    assert_eq!(expect_close(&mut client).await, 1000);
    server.shutdown().await;
}

#[tokio::test]
async fn a_flood_never_fills_the_buffer_past_its_bound_and_loses_nothing() {
    let (app, _) = app();
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/flood/")).await;
    assert_eq!(recv_text(&mut client).await, "ready");
    for i in 0..FLOOD {
        send_text(&mut client, &i.to_string()).await;
    }
    assert_eq!(
        recv_text(&mut client).await,
        format!("most {FLOOD_BOUND} of {FLOOD_BOUND}")
    );
    assert_eq!(
        recv_text(&mut client).await,
        format!("read {FLOOD} in order")
    );
    assert_eq!(expect_close(&mut client).await, 1000);
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_view_fails_alone() {
    let (app, _) = app();
    let server = TestServer::start(app).await;
    let mut bystander = connect(&server.ws("/echo/")).await;
    send_text(&mut bystander, "before").await;
    assert_eq!(recv_text(&mut bystander).await, "before");

    assert_eq!(http_get(server.addr(), "/boom/").await.0, 500);
    let mut victim = connect(&server.ws("/boom/")).await;
    assert_eq!(expect_close(&mut victim).await, 1011);

    send_text(&mut bystander, "after").await;
    assert_eq!(recv_text(&mut bystander).await, "after");
    assert_eq!(
        http_get(server.addr(), "/echo/?message=still").await,
        (200, "still".to_owned())
    );
    bystander.close(None).await.unwrap();
    server.shutdown().await;
}
