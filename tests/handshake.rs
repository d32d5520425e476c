//! The handshake: the 101 goes out only when `connect` accepts, with what
//! it chose; refusals and failures get the right HTTP status.

use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct::{Accept, Deny, http::StatusCode};
use aqueduct_tests::{
    TestServer, connect, connect_refused, connect_with_protocols, http_get, recv_text,
};

/// Decides the handshake according to the path's `<how>` parameter.
#[derive(Debug, Default)]
struct Gatekeeper;

#[async_trait]
impl WebsocketConsumer for Gatekeeper {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        match ctx.scope().param("how").unwrap_or_default() {
            "accept" => ctx.accept().await,
            "deny" => ctx.deny().await,
            "deny-401" => {
                ctx.deny_with(Deny::new(StatusCode::UNAUTHORIZED).with_body("log in first"))
                    .await
            }
            "close" => ctx.close(CloseCode::NORMAL).await,
            "error" => Err(aqueduct::Error::msg("database is down")),
            "panic" => panic!("bug in connect"),
            "silent" => Ok(()),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                ctx.accept().await
            }
            "headers" => {
                ctx.accept_with(Accept::new().header("x-room", "lobby"))
                    .await?;
                ctx.send_text("welcome").await
            }
            "protocol" => {
                // Pick the first protocol we support, in the client's order.
                let chosen = ctx
                    .scope()
                    .subprotocols()
                    .iter()
                    .find(|p| p.as_str() == "chat.v1" || p.as_str() == "chat.v2")
                    .cloned();
                let mut accept = Accept::new();
                if let Some(protocol) = chosen {
                    accept = accept.subprotocol(protocol);
                }
                ctx.accept_with(accept).await
            }
            other => panic!("unknown test case {other}"),
        }
    }
}

fn app() -> ProtocolTypeRouter {
    UrlRouter::new()
        .route("ws/<how>/", Gatekeeper::default)
        .into()
}

#[tokio::test]
async fn refusals_and_failures_answer_with_the_right_status() {
    let server = TestServer::start(app()).await;
    let table = [
        ("/ws/deny/", 403),
        ("/ws/deny-401/", 401),
        ("/ws/close/", 403),
        ("/ws/error/", 500),
        ("/ws/panic/", 500),
        ("/ws/silent/", 403),
        ("/nowhere/", 404),
        ("/ws/too/deep/", 404),
    ];
    for (path, status) in table {
        let (got, _) = connect_refused(&server.ws(path)).await;
        assert_eq!(got, status, "{path}");
    }
    // The server kept serving through the error and the panic.
    connect(&server.ws("/ws/accept/")).await;
    server.shutdown().await;
}

#[tokio::test]
async fn denial_carries_the_body_the_app_chose() {
    let server = TestServer::start(app()).await;
    let (status, body) = connect_refused(&server.ws("/ws/deny-401/")).await;
    assert_eq!((status, body.as_str()), (401, "log in first"));
    server.shutdown().await;
}

#[tokio::test]
async fn accept_sends_extra_headers_and_messages_sent_in_connect_arrive() {
    let server = TestServer::start(app()).await;
    let (mut client, response) = tokio_tungstenite::connect_async(server.ws("/ws/headers/"))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-room"], "lobby");
    assert_eq!(recv_text(&mut client).await, "welcome");
    server.shutdown().await;
}

#[tokio::test]
async fn subprotocol_negotiation_answers_the_chosen_protocol() {
    let server = TestServer::start(app()).await;
    let url = server.ws("/ws/protocol/");
    let table = [
        ("chat.v2, chat.v1", Some("chat.v2")),
        ("v3, chat.v1", Some("chat.v1")),
    ];
    for (offered, chosen) in table {
        let (_client, response) = connect_with_protocols(&url, offered).await;
        let answered = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap());
        assert_eq!(answered, chosen, "offered {offered}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn handshake_not_answered_in_time_gets_503() {
    let server = TestServer::start_with(app(), |server| {
        server.handshake_timeout(Duration::from_millis(200))
    })
    .await;
    let (status, _) = connect_refused(&server.ws("/ws/slow/")).await;
    assert_eq!(status, 503);
    server.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_a_websocket_only_app_is_404() {
    let server = TestServer::start(app()).await;
    let (status, _) = http_get(server.addr(), "/ws/accept/").await;
    assert_eq!(status, 404);
    server.shutdown().await;
}
