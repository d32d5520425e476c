//! Views driven in memory: HTTP through the tower `Service`, WebSockets
//! through the conversation. Real sockets are in `tests/views.rs`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{
    Body, CloseCode, CloseFrame, Error, InMemoryChannelLayer, Inbound, Message, Outbound, Result,
    Scope, ScopeKind, WebsocketApp, WebsocketIo,
};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::run::WEBSOCKET_REQUIRED;
use super::websocket::WebSocket;
use super::*;
use crate::ProtocolTypeRouter;
use crate::test_support::{ChannelIo, Probes};

async fn echo(mut request: ViewRequest) -> Result<ViewResponse> {
    let Some(ws) = request.websocket() else {
        return Ok(match request.query_param("message") {
            Some(message) => message.to_owned().into_view_response(),
            None => (StatusCode::BAD_REQUEST, "add ?message=").into_view_response(),
        });
    };
    while let Some(message) = ws.wait().await {
        ws.send(message).await?;
    }
    Ok(().into_view_response())
}

async fn hello(mut request: ViewRequest) -> Result {
    let ws = request.websocket().expect("require_websocket");
    ws.send("hello").await?;
    Ok(())
}

async fn fail(request: ViewRequest) -> Result<String> {
    match request.param("how") {
        Some("panic") => panic!("bug in the view"),
        _ => Err(Error::msg("database is down")),
    }
}

async fn item(request: ViewRequest) -> String {
    let layer = request.scope().channel_layer().is_some();
    format!("item {} layer={layer}", request.param_int("id").unwrap())
}

fn views() -> Views {
    Views::new()
        .route("echo/", accept_websocket(echo))
        .route("hello/", require_websocket(hello))
        .route("fail/<how>/", accept_websocket(fail))
        .route("items/<int:id>/", accept_websocket(item))
}

/// Answers `GET uri` with `service`; returns the status and the body.
async fn get<S>(service: S, uri: &str) -> (StatusCode, String)
where
    S: tower::Service<Request<Body>, Response = ViewResponse, Error = Infallible>,
{
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = service.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Runs a WebSocket to `path` through `app`: the client connects, sends
/// `inbound`, and stays until the application is done. Returns what the
/// application sent.
async fn converse(app: &dyn WebsocketApp, path: &str, inbound: Vec<Inbound>) -> Vec<Outbound> {
    let (io, tx, sent) = ChannelIo::new(16);
    tx.send(Inbound::Connect).await.unwrap();
    for event in inbound {
        tx.send(event).await.unwrap();
    }
    let scope = Scope::new(ScopeKind::Websocket, path);
    let run = app.call(scope, Box::new(io));
    tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the application finished");
    drop(tx);
    std::mem::take(&mut *sent.lock().unwrap())
}

fn text(text: &str) -> Inbound {
    Inbound::Receive(Message::text(text))
}

#[tokio::test]
async fn http_answers_by_view_kind() {
    #[rustfmt::skip]
    let cases = [
        ("/echo/?message=hi",    StatusCode::OK,                    "hi"),
        ("/echo/?message=a+b",   StatusCode::OK,                    "a b"),
        ("/echo/",               StatusCode::BAD_REQUEST,           "add ?message="),
        ("/hello/",              StatusCode::BAD_REQUEST,           WEBSOCKET_REQUIRED),
        ("/fail/panic/",         StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        ("/fail/error/",         StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        ("/items/7/",            StatusCode::OK,                    "item 7 layer=false"),
        ("/items/x/",            StatusCode::NOT_FOUND,             "Not Found"),
        ("/nowhere/",            StatusCode::NOT_FOUND,             "Not Found"),
    ];
    for (uri, status, body) in cases {
        assert_eq!(get(views(), uri).await, (status, body.to_owned()), "{uri}");
    }
}

#[tokio::test]
async fn websocket_outcomes() {
    let accept = || Outbound::Accept(Default::default());
    let close = |code: u16| Outbound::Close(CloseFrame::new(CloseCode::from(code)));
    let send = |text: &str| Outbound::Send(Message::text(text));
    let bye = Inbound::Disconnect(CloseCode::NORMAL);
    #[rustfmt::skip]
    let cases = [
        // The client closed, so the runner has nothing to close.
        ("/echo/",       vec![text("a"), Inbound::Receive(Message::binary(vec![0, 1])), bye.clone()],
                         vec![accept(), send("a"), Outbound::Send(Message::binary(vec![0, 1]))]),
        ("/hello/",      vec![],          vec![accept(), send("hello"), close(1000)]),
        ("/fail/panic/", vec![],          vec![accept(), close(1011)]),
        ("/fail/error/", vec![],          vec![accept(), close(1011)]),
        // Returning ends the connection even though the client says nothing.
        ("/items/7/",    vec![],          vec![accept(), close(1000)]),
    ];
    for (path, inbound, expected) in cases {
        assert_eq!(converse(&views(), path, inbound).await, expected, "{path}");
    }
    let refused = converse(&views(), "/nowhere/", vec![]).await;
    assert!(matches!(&refused[..], [Outbound::Deny(deny)] if deny.status == StatusCode::NOT_FOUND));
}

/// A handle on a channel driver, and the sender that plays the client.
fn handle(capacity: usize) -> (WebSocket, tokio::sync::mpsc::Sender<Inbound>) {
    let (io, tx, _sent) = ChannelIo::new(64);
    let io: Box<dyn WebsocketIo> = Box::new(io);
    let (ws, _done) = WebSocket::new(Arc::new(tokio::sync::Mutex::new(io)), capacity);
    (ws, tx)
}

#[tokio::test]
async fn read_and_count_never_wait_and_stop_reading_at_the_bound() {
    let (mut ws, tx) = handle(4);
    assert_eq!(ws.read(), None);
    assert!(!ws.has_messages());
    assert_eq!(ws.count_messages(), 0);
    for i in 0..10 {
        tx.send(text(&i.to_string())).await.unwrap();
    }
    assert_eq!(ws.count_messages(), 4);
    // The other six are still with the driver: a full buffer stops reading.
    assert_eq!(tx.capacity(), 64 - 6);
    assert_eq!(ws.read(), Some(Message::text("0")));
    assert_eq!(ws.count_messages(), 4);
    let mut rest = Vec::new();
    while let Some(message) = ws.read() {
        rest.push(message.as_text().unwrap().to_owned());
    }
    assert_eq!(rest, ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    tx.send(Inbound::Disconnect(CloseCode::from(4000)))
        .await
        .unwrap();
    assert_eq!(ws.wait().await, None);
    assert!(ws.is_closed());
    assert_eq!(ws.close_code(), Some(CloseCode::from(4000)));
    assert!(ws.send("too late").await.is_err());
}

#[tokio::test]
async fn an_abandoned_wait_or_a_send_loses_no_message() {
    let (mut ws, tx) = handle(4);
    let waited = tokio::time::timeout(Duration::from_millis(20), ws.wait()).await;
    assert!(waited.is_err(), "nothing was sent");
    // `count_messages` leaves a receive in flight; `send` gives it up.
    assert_eq!(ws.count_messages(), 0);
    ws.send("ping").await.unwrap();
    tx.send(text("pong")).await.unwrap();
    assert_eq!(ws.wait().await, Some(Message::text("pong")));
    drop(tx);
    assert_eq!(ws.wait().await, None);
    assert_eq!(ws.close_code(), Some(CloseCode::ABNORMAL));
}

#[tokio::test]
async fn views_wrap_the_arms_and_the_rest_falls_through_to_the_fallbacks() {
    let arm = tower::service_fn(|_: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Body::from("http arm")))
    });
    let probes = Probes::new();
    let app = ProtocolTypeRouter::new()
        .http(views().fallback_http(arm))
        .websocket(views().fallback_websocket(probes.app("websocket arm")))
        .with_channel_layer(InMemoryChannelLayer::new());
    let call = |uri: &str| app.call_http(Request::get(uri).body(Body::empty()).unwrap());
    let body = |response: ViewResponse| async {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    assert_eq!(body(call("/echo/?message=hi").await).await, "hi");
    assert_eq!(body(call("/items/3/").await).await, "item 3 layer=true");
    assert_eq!(body(call("/other/").await).await, "http arm");

    assert_eq!(converse(&app, "/hello/", vec![]).await.len(), 3);
    let visit = probes.connect(&app, "/other/").await;
    assert_eq!(visit.app, Some("websocket arm"));

    // With no fallback, what no view matches gets 404 on both protocols.
    let app = ProtocolTypeRouter::from(views());
    assert_eq!(call_status(&app, "/other/").await, 404);
    let sent = converse(&app, "/other/", vec![]).await;
    assert!(
        matches!(&sent[0], Outbound::Deny(deny) if deny.status == 404),
        "{sent:?}"
    );
}

async fn call_status(app: &ProtocolTypeRouter, uri: &str) -> u16 {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    app.call_http(request).await.status().as_u16()
}

#[tokio::test]
async fn views_mount_on_axum_and_on_a_url_router() {
    let axum = axum::Router::new().route_service("/echo/", accept_websocket(echo));
    let request = Request::get("/echo/?message=axum").body(axum::body::Body::empty());
    let response = axum.oneshot(request.unwrap()).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes, "axum");

    let router = crate::UrlRouter::new().route("hello/", require_websocket(hello));
    let sent = converse(&router, "/hello/", vec![]).await;
    assert_eq!(sent[1], Outbound::Send(Message::text("hello")));

    // Under a prefix, the views match what the prefix left.
    let router = crate::UrlRouter::new().nest_app("api/", views());
    let sent = converse(&router, "/api/hello/", vec![]).await;
    assert_eq!(sent[1], Outbound::Send(Message::text("hello")));
}

#[test]
#[should_panic(expected = "Invalid route \"echo/<x>/\": it can never match")]
fn a_shadowed_route_is_refused_at_startup() {
    let _ = Views::new()
        .route("echo/<str:a>/", accept_websocket(echo))
        .route("echo/<x>/", accept_websocket(echo));
}

#[test]
#[should_panic(expected = "max_buffered_messages(0)")]
fn a_buffer_of_nothing_is_refused_at_startup() {
    let _ = accept_websocket(echo).max_buffered_messages(0);
}
