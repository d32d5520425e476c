//! JSON consumers over real sockets: messages decode into the consumer's
//! type, bad input closes with 1007 or 1003 and a warning, custom
//! `decode_json` / `encode_json` are honoured, groups and events work.

use std::cell::Cell;

use aqueduct::prelude::*;
use aqueduct_tests::{
    Client, LogCapture, Reports, TestServer, WAIT, connect, recv_json, recv_text, reports,
    send_text,
};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// What `Calculator` clients send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Command {
    Add { a: i64, b: i64 },
    Echo { text: String },
}

/// Answers commands and reports its disconnect code.
#[derive(Debug)]
struct Calculator {
    reports: UnboundedSender<u16>,
}

#[async_trait]
impl JsonWebsocketConsumer for Calculator {
    type Incoming = Command;
    type Event = NoEvents;

    async fn receive_json(&mut self, ctx: &mut Context, command: Command) -> Result {
        match command {
            Command::Add { a, b } => self.send_json(ctx, &json!({ "sum": a + b })).await,
            Command::Echo { text } => self.send_json(ctx, &json!({ "echo": text })).await,
        }
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        let _ = self.reports.send(code.as_u16());
        Ok(())
    }
}

/// Serves `Calculator` at `ws/calc/`; its disconnect codes come out of the reports.
async fn calculator() -> (TestServer, Reports<u16>) {
    let (tx, reports) = reports();
    let factory = move || Calculator {
        reports: tx.clone(),
    };
    let server = TestServer::start(UrlRouter::new().route("ws/calc/", factory)).await;
    (server, reports)
}

/// Reads until the server's close frame, then to the end of the stream so
/// the client's reply goes out and the server need not wait for it; returns
/// the code and reason.
async fn close_frame(client: &mut Client) -> (u16, String) {
    let closed = loop {
        match tokio::time::timeout(WAIT, client.next()).await {
            Ok(Some(Ok(WsMessage::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    while let Ok(Some(_)) = tokio::time::timeout(WAIT, client.next()).await {}
    closed.map_or((1005, String::new()), |f| {
        (f.code.into(), f.reason.to_string())
    })
}

#[tokio::test]
async fn a_valid_message_is_decoded_into_the_consumers_type_and_answered() {
    let (server, _reports) = calculator().await;
    let mut client = connect(&server.ws("/ws/calc/")).await;
    send_text(&mut client, r#"{"type": "add", "a": 2, "b": 40}"#).await;
    assert_eq!(recv_json(&mut client).await, json!({ "sum": 42 }));
    send_text(&mut client, r#"{"type": "echo", "text": "héllo"}"#).await;
    assert_eq!(recv_json(&mut client).await, json!({ "echo": "héllo" }));
    server.shutdown().await;
}

#[tokio::test]
async fn text_that_does_not_decode_closes_with_1007_and_others_keep_being_served() {
    let table = [
        ("not JSON", "{\"type\": \"add\""),
        ("plain text", "add 2 40"),
        ("unknown command", r#"{"type": "multiply", "a": 2, "b": 3}"#),
        ("missing field", r#"{"type": "add", "a": 2}"#),
        ("wrong field type", r#"{"type": "add", "a": "two", "b": 3}"#),
        ("no tag", r#"{"a": 2, "b": 3}"#),
        ("not an object", "[1, 2]"),
        ("empty", ""),
    ];
    let (server, mut reports) = calculator().await;
    let mut bystander = connect(&server.ws("/ws/calc/")).await;
    for (case, text) in table {
        let mut client = connect(&server.ws("/ws/calc/")).await;
        send_text(&mut client, text).await;
        let (code, reason) = close_frame(&mut client).await;
        assert_eq!(
            (code, reason.as_str()),
            (1007, "invalid JSON payload"),
            "{case}"
        );
        assert_eq!(reports.next().await, 1007, "{case}: disconnect code");

        // The connection already open is untouched.
        send_text(&mut bystander, r#"{"type": "add", "a": 1, "b": 1}"#).await;
        assert_eq!(
            recv_json(&mut bystander).await,
            json!({ "sum": 2 }),
            "{case}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_binary_message_closes_with_1003() {
    let (server, mut reports) = calculator().await;
    let mut bystander = connect(&server.ws("/ws/calc/")).await;
    let mut client = connect(&server.ws("/ws/calc/")).await;
    let json_as_bytes = br#"{"type": "add", "a": 1, "b": 1}"#.to_vec();
    client.send(WsMessage::binary(json_as_bytes)).await.unwrap();
    let (code, reason) = close_frame(&mut client).await;
    assert_eq!(
        (code, reason.as_str()),
        (1003, "binary messages are not supported")
    );
    assert_eq!(reports.next().await, 1003);

    send_text(&mut bystander, r#"{"type": "echo", "text": "still here"}"#).await;
    assert_eq!(
        recv_json(&mut bystander).await,
        json!({ "echo": "still here" })
    );
    server.shutdown().await;
}

/// Takes `ping` as a shorthand for `{"type": "ping"}`, panics on `boom`,
/// and numbers every message it sends in an envelope.
#[derive(Debug, Default)]
struct Shorthand {
    // A `Cell` keeps the consumer `!Sync`: sending must not need `Sync`.
    sent: Cell<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Ping {
    Ping,
}

#[async_trait]
impl JsonWebsocketConsumer for Shorthand {
    type Incoming = Ping;
    type Event = NoEvents;

    async fn receive_json(&mut self, ctx: &mut Context, _ping: Ping) -> Result {
        self.send_json(ctx, &json!({ "pong": true })).await
    }

    fn decode_json(&self, text: &str) -> Result<Ping> {
        match text {
            "ping" => Ok(Ping::Ping),
            "boom" => panic!("bug in decode_json"),
            json => Ok(serde_json::from_str(json)?),
        }
    }

    fn encode_json<T: Serialize + ?Sized>(&self, content: &T) -> Result<String> {
        self.sent.set(self.sent.get() + 1);
        let envelope = json!({ "seq": self.sent.get(), "data": content });
        Ok(serde_json::to_string(&envelope)?)
    }
}

#[tokio::test]
async fn custom_decode_json_and_encode_json_are_honoured() {
    let server = TestServer::start(UrlRouter::new().route("ws/ping/", Shorthand::default)).await;
    let mut client = connect(&server.ws("/ws/ping/")).await;
    let answers = [
        ("ping", json!({ "seq": 1, "data": { "pong": true } })),
        (
            r#"{"type": "ping"}"#,
            json!({ "seq": 2, "data": { "pong": true } }),
        ),
    ];
    for (sent, expected) in answers {
        send_text(&mut client, sent).await;
        assert_eq!(recv_json(&mut client).await, expected, "{sent}");
    }
    // Neither the shorthand nor JSON: the custom decoder's error is a 1007.
    send_text(&mut client, "pong").await;
    assert_eq!(close_frame(&mut client).await.0, 1007);

    // A panic in decode_json is a consumer bug: 1011, as for any hook.
    let mut client = connect(&server.ws("/ws/ping/")).await;
    send_text(&mut client, "boom").await;
    assert_eq!(close_frame(&mut client).await.0, 1011);
    server.shutdown().await;
}

/// A chat room: `groups()` joins `room`, `say` broadcasts to it.
#[derive(Debug, Default)]
struct Room;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Say {
    Say { text: String },
}

/// What travels through the room: `{"type": "chat.said", "text": …}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum RoomEvent {
    #[serde(rename = "chat.said")]
    Said { text: String },
}

#[async_trait]
impl JsonWebsocketConsumer for Room {
    type Incoming = Say;
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        self.send_json(ctx, &json!({ "joined": "room" })).await
    }

    async fn receive_json(&mut self, ctx: &mut Context, Say::Say { text }: Say) -> Result {
        let said = Event::from_message(&RoomEvent::Said { text })?;
        ctx.group_send("room", said).await?;
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        match event {
            RoomEvent::Said { text } => self.send_json(ctx, &json!({ "said": text })).await,
        }
    }
}

#[tokio::test]
async fn groups_and_events_work_for_a_json_consumer() {
    let layer = InMemoryChannelLayer::new();
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/room/", Room::default))
        .with_channel_layer(layer.clone());
    let server = TestServer::start(app).await;
    let mut alice = connect(&server.ws("/ws/room/")).await;
    let mut bob = connect(&server.ws("/ws/room/")).await;
    assert_eq!(recv_json(&mut alice).await, json!({ "joined": "room" }));
    assert_eq!(recv_json(&mut bob).await, json!({ "joined": "room" }));

    send_text(&mut alice, r#"{"type": "say", "text": "hi"}"#).await;
    assert_eq!(recv_json(&mut alice).await, json!({ "said": "hi" }));
    assert_eq!(recv_json(&mut bob).await, json!({ "said": "hi" }));

    // An event from outside the server reaches both through the group.
    // As a Django worker would make it: a type and a payload.
    let event = Event::new("chat.said", &json!({ "text": "from a worker" })).unwrap();
    let report = layer.group_send("room", event).await.unwrap();
    assert_eq!(report.delivered, 2);
    for client in [&mut alice, &mut bob] {
        assert_eq!(recv_json(client).await, json!({ "said": "from a worker" }));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_logged_as_a_warning_naming_the_consumer_and_the_error() {
    let capture = LogCapture::global();
    let (server, _reports) = calculator().await;

    let mut client = connect(&server.ws("/ws/calc/")).await;
    send_text(&mut client, r#"{"type": "add", "a": 2}"#).await;
    assert_eq!(close_frame(&mut client).await.0, 1007);
    capture
        .wait_for(&["WARN", "consumer=\"json::Calculator\"", "missing field `b`"])
        .await;

    let mut client = connect(&server.ws("/ws/calc/")).await;
    client
        .send(WsMessage::binary(vec![0xde, 0xad]))
        .await
        .unwrap();
    assert_eq!(close_frame(&mut client).await.0, 1003);
    capture
        .wait_for(&["WARN", "consumer=\"json::Calculator\"", "1003"])
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn ctx_send_json_still_encodes_with_serde_json() {
    // Guards the documented split: only the consumer's send_json uses its
    // encode_json; ctx.send_json is plain serde_json.
    #[derive(Debug, Default)]
    struct Both;

    #[async_trait]
    impl JsonWebsocketConsumer for Both {
        type Incoming = serde_json::Value;
        type Event = NoEvents;

        async fn receive_json(&mut self, ctx: &mut Context, value: serde_json::Value) -> Result {
            ctx.send_json(&value).await?;
            self.send_json(ctx, &value).await
        }

        fn encode_json<T: Serialize + ?Sized>(&self, content: &T) -> Result<String> {
            Ok(format!("custom:{}", serde_json::to_string(content)?))
        }
    }

    let server = TestServer::start(UrlRouter::new().route("ws/both/", Both::default)).await;
    let mut client = connect(&server.ws("/ws/both/")).await;
    send_text(&mut client, "[1,2]").await;
    assert_eq!(recv_text(&mut client).await, "[1,2]");
    assert_eq!(recv_text(&mut client).await, "custom:[1,2]");
    server.shutdown().await;
}
