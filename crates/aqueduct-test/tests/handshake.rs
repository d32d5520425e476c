//! How the communicator reports the application's answer to the handshake,
//! and the scope it builds: the same answers the server gives.

mod support;

use aqueduct_core::{
    Accept, AppFuture, Context, Deny, Inbound, NoEvents, Outbound, Result, Scope, WebsocketApp,
    WebsocketConsumer, WebsocketIo,
};
use aqueduct_routing::UrlRouter;
use aqueduct_test::{Connected, WebsocketCommunicator};
use async_trait::async_trait;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use support::{Log, OnConnect, Scripted};

#[tokio::test]
async fn accept_carries_the_subprotocol_and_headers() {
    let log = Log::default();
    let accept = Accept::new()
        .subprotocol("chat.v2")
        .header("x-room", "lobby");
    let mut communicator =
        WebsocketCommunicator::new(Scripted::factory(&log, OnConnect::Accept(accept)), "/ws/");
    let connected = communicator.connect().await;
    connected.assert_accepted();
    assert_eq!(connected.subprotocol(), Some("chat.v2"));
    assert_eq!(connected.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(connected.headers()["x-room"], "lobby");
}

#[tokio::test]
async fn refusals_become_the_status_the_server_would_answer() {
    #[rustfmt::skip]
    let table = [
        (OnConnect::Deny(Deny::default()),                               StatusCode::FORBIDDEN,             "Forbidden"),
        (OnConnect::Deny(Deny::new(StatusCode::UNAUTHORIZED).with_body("log in")), StatusCode::UNAUTHORIZED, "log in"),
        (OnConnect::Close,                                               StatusCode::FORBIDDEN,             "Forbidden"),
        (OnConnect::Nothing,                                             StatusCode::FORBIDDEN,             "Forbidden"),
        (OnConnect::Fail,                                                StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        (OnConnect::Panic,                                               StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        (OnConnect::SendFirst,                                           StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    ];
    for (on_connect, status, body) in table {
        let log = Log::default();
        let label = format!("{on_connect:?}");
        let mut communicator =
            WebsocketCommunicator::new(Scripted::factory(&log, on_connect), "/ws/");
        let connected = communicator.connect().await;
        connected.assert_rejected(status);
        assert!(!connected.is_accepted(), "{label}");
        let Connected::Rejected { body: got, .. } = &connected else {
            unreachable!()
        };
        assert_eq!(got, body, "{label}");

        // The disconnect hook still runs, once, with 1006 as on the server.
        communicator.disconnect(1000).await;
        assert_eq!(log.count("disconnect"), 1, "{label}: {:?}", log.entries());
        assert_eq!(log.entries().last().unwrap(), "disconnect 1006", "{label}");
    }
}

/// Ends without answering the handshake, as a buggy raw application might.
struct Silent;

impl WebsocketApp for Silent {
    fn call(&self, _scope: Scope, mut io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(async move {
            assert_eq!(io.recv().await, Inbound::Connect);
        })
    }
}

#[tokio::test]
async fn an_application_that_ends_without_answering_is_a_500() {
    let mut communicator = WebsocketCommunicator::new(Silent, "/ws/");
    communicator
        .connect()
        .await
        .assert_rejected(StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_path_no_route_matches_is_a_404() {
    let log = Log::default();
    let router = UrlRouter::new().route("ws/chat/<room>/", Scripted::accepting(&log));
    let mut communicator = WebsocketCommunicator::new(router.clone(), "/ws/nowhere/");
    communicator
        .connect()
        .await
        .assert_rejected(StatusCode::NOT_FOUND);
    let mut communicator = WebsocketCommunicator::new(router, "/ws/chat/lobby/");
    communicator.connect().await.assert_accepted();
}

/// Accepts and sends back, as JSON, what its scope says.
#[derive(Default)]
struct ScopeReporter;

#[async_trait]
impl WebsocketConsumer for ScopeReporter {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        let scope = ctx.scope();
        let report = json!({
            "path": scope.path(),
            "raw_path": scope.raw_path(),
            "query": scope.query_string(),
            "scheme": scope.scheme(),
            "origin": scope.headers().get("origin").and_then(|v| v.to_str().ok()),
            "subprotocols": scope.subprotocols(),
            "client": scope.client().map(|addr| addr.to_string()),
            "room": scope.param("room"),
            "layer": scope.channel_layer().is_some(),
        });
        let subprotocol = scope.subprotocols().last().cloned();
        let mut accept = Accept::new();
        if let Some(subprotocol) = subprotocol {
            accept = accept.subprotocol(subprotocol);
        }
        ctx.accept_with(accept).await?;
        ctx.send_json(&report).await
    }
}

#[tokio::test]
async fn the_builder_options_reach_the_scope() {
    let router = UrlRouter::new().route("ws/<room>/", ScopeReporter::default);
    let mut communicator = WebsocketCommunicator::new(router, "/ws/caf%C3%A9/?ignored=1")
        .query_string("token=abc")
        .header("origin", "https://example.com")
        .subprotocols(["chat.v2", "chat.v1"])
        .client("10.0.0.7:5000".parse().unwrap());
    let connected = communicator.connect().await;
    assert_eq!(connected.subprotocol(), Some("chat.v1"));
    let report: Value = communicator.receive_json_from().await;
    assert_eq!(
        report,
        json!({
            "path": "/ws/café/",
            "raw_path": "/ws/caf%C3%A9/",
            "query": "token=abc",
            "scheme": "ws",
            "origin": "https://example.com",
            "subprotocols": ["chat.v2", "chat.v1"],
            "client": "10.0.0.7:5000",
            "room": "café",
            "layer": false,
        })
    );
}

#[tokio::test]
async fn without_builder_options_the_scope_is_bare() {
    let mut communicator = WebsocketCommunicator::new(ScopeReporter::default, "/ws/");
    communicator.connect().await.assert_accepted();
    let report: Value = communicator.receive_json_from().await;
    assert_eq!(report["query"], "");
    assert_eq!(report["client"], Value::Null);
    assert_eq!(report["subprotocols"], json!([]));
    assert_eq!(report["origin"], Value::Null);
}

/// Answers the handshake twice: the second answer is ignored, as on the server.
struct DoubleAnswer;

impl WebsocketApp for DoubleAnswer {
    fn call(&self, _scope: Scope, mut io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(async move {
            io.recv().await;
            io.send(Outbound::Accept(Accept::new())).await.unwrap();
            io.send(Outbound::Deny(Deny::default())).await.unwrap();
            io.send(Outbound::Send("still open".into())).await.unwrap();
            while io.recv().await != Inbound::Disconnect(1000.into()) {}
        })
    }
}

#[tokio::test]
async fn a_second_answer_to_the_handshake_is_ignored() {
    let mut communicator = WebsocketCommunicator::new(DoubleAnswer, "/ws/");
    let connected = communicator.connect().await;
    assert_eq!(
        connected,
        Connected::Accepted {
            subprotocol: None,
            headers: HeaderMap::new()
        }
    );
    assert_eq!(communicator.receive_from().await, "still open".into());
    communicator.disconnect(1000).await;
}

/// Declares a group, which needs a channel layer.
#[derive(Default)]
struct GroupMember;

#[async_trait]
impl WebsocketConsumer for GroupMember {
    type Event = NoEvents;

    fn groups(&self, _scope: &Scope) -> Vec<String> {
        vec!["lobby".to_owned()]
    }
}

// Regression: a consumer whose groups could not be joined never answered
// the handshake, leaving the client waiting for the server's timeout.
#[tokio::test(start_paused = true)]
async fn groups_that_cannot_be_joined_refuse_with_500() {
    let mut communicator = WebsocketCommunicator::new(GroupMember::default, "/ws/");
    communicator
        .connect()
        .await
        .assert_rejected(StatusCode::INTERNAL_SERVER_ERROR);
}
