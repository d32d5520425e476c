//! Typed events over real sockets: a consumer names its events once, as a
//! serde enum tagged on `"type"`, and gets each one decoded; an event of a
//! type the enum does not know, or whose payload does not fit its variant,
//! closes the connection with 1011 and an error log, as Channels does.

use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct_tests::{
    LogCapture, Reports, TestServer, connect, expect_close, expect_nothing, recv_json, reports,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

/// What the room's group carries, with Channels' type names.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
enum RoomEvent {
    #[serde(rename = "chat.message")]
    ChatMessage { message: String },
    #[serde(rename = "room.count")]
    Count { n: u32 },
}

impl RoomEvent {
    /// What a consumer tells its client about the event.
    fn to_client(&self) -> Value {
        match self {
            Self::ChatMessage { message } => json!({ "message": message }),
            Self::Count { n } => json!({ "count": n }),
        }
    }
}

/// In the group `room`: passes each event on to its client, and reports
/// its disconnect code.
#[derive(Debug)]
struct Room {
    reports: UnboundedSender<u16>,
}

#[async_trait]
impl WebsocketConsumer for Room {
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        ctx.send_json(&event.to_client()).await
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        let _ = self.reports.send(code.as_u16());
        Ok(())
    }
}

/// `Room` as a JSON consumer: events reach it through the blanket
/// `WebsocketConsumer` implementation.
#[derive(Debug)]
struct JsonRoom {
    reports: UnboundedSender<u16>,
}

#[async_trait]
impl JsonWebsocketConsumer for JsonRoom {
    type Incoming = Value;
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn receive_json(&mut self, _ctx: &mut Context, _content: Value) -> Result {
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        self.send_json(ctx, &event.to_client()).await
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        let _ = self.reports.send(code.as_u16());
        Ok(())
    }
}

/// In the group `room`, and takes no events.
#[derive(Debug, Default)]
struct Deaf;

#[async_trait]
impl WebsocketConsumer for Deaf {
    type Event = NoEvents;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }
}

/// Names its events but leaves out the hook.
#[derive(Debug, Default)]
struct Forgetful;

#[async_trait]
impl WebsocketConsumer for Forgetful {
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }
}

/// The consumers above on one server, and the layer the test sends on.
struct Setup {
    server: TestServer,
    layer: InMemoryChannelLayer,
    reports: Reports<u16>,
}

impl Setup {
    async fn start() -> Self {
        let layer = InMemoryChannelLayer::new();
        let (tx, reports) = reports();
        let json_tx = tx.clone();
        let urls = UrlRouter::new()
            .route("ws/room/", move || Room {
                reports: tx.clone(),
            })
            .route("ws/json-room/", move || JsonRoom {
                reports: json_tx.clone(),
            })
            .route("ws/deaf/", Deaf::default)
            .route("ws/forgetful/", Forgetful::default);
        let app = ProtocolTypeRouter::new()
            .websocket(urls)
            .with_channel_layer(layer.clone());
        let server = TestServer::start(app).await;
        Self {
            server,
            layer,
            reports,
        }
    }

    /// Sends `event` to the group `room`, as any worker on the layer would.
    /// The test's one client joined it before its handshake completed.
    async fn send(&self, event: Event) {
        let report = self.layer.group_send("room", event).await.unwrap();
        assert_eq!(report.delivered, 1, "one member in the room");
    }
}

/// An event made as a Django worker makes it: a type and a payload.
fn django(event_type: &str, payload: Value) -> Event {
    Event::new(event_type, &payload).unwrap()
}

/// The consumers that take `RoomEvent`, by path, and their type names.
const ROOMS: [(&str, &str); 2] = [
    ("/ws/room/", "events::Room"),
    ("/ws/json-room/", "events::JsonRoom"),
];

#[tokio::test]
async fn events_of_known_types_reach_the_hook_decoded() {
    for (path, _) in ROOMS {
        let mut setup = Setup::start().await;
        let mut client = connect(&setup.server.ws(path)).await;
        let table = [
            // Made from the enum, as a Rust consumer sends.
            (
                Event::from_message(&RoomEvent::ChatMessage {
                    message: "hi".into(),
                })
                .unwrap(),
                json!({ "message": "hi" }),
            ),
            // Made by type and payload, with a key the variant does not name.
            (
                django("chat.message", json!({ "message": "from django", "id": 7 })),
                json!({ "message": "from django" }),
            ),
            (
                django("room.count", json!({ "n": 3 })),
                json!({ "count": 3 }),
            ),
        ];
        for (event, expected) in table {
            setup.send(event).await;
            assert_eq!(recv_json(&mut client).await, expected, "{path}");
        }
        // Still open: nothing more, and no disconnect.
        expect_nothing(&mut client, Duration::from_millis(100)).await;
        setup.reports.expect_none(Duration::ZERO).await;
        // A close frame with no code: the client's leaving, not an error.
        client.close(None).await.unwrap();
        assert_eq!(setup.reports.next().await, 1005, "{path}");
        setup.server.shutdown().await;
    }
}

#[tokio::test]
async fn an_event_of_an_unknown_type_closes_with_1011_and_says_why() {
    let capture = LogCapture::global();
    for (path, consumer) in ROOMS {
        let mut setup = Setup::start().await;
        let mut client = connect(&setup.server.ws(path)).await;
        setup
            .send(django("chat.typo", json!({ "message": "hi" })))
            .await;
        assert_eq!(expect_close(&mut client).await, 1011, "{path}");
        // Channels' ValueError ends the consumer: disconnect runs, with 1011.
        assert_eq!(setup.reports.next().await, 1011, "{path}");
        let line = capture
            .wait_for(&[
                "ERROR",
                &format!("consumer=\"{consumer}\""),
                "event_type=\"chat.typo\"",
            ])
            .await;
        for piece in [
            "no handler for event type \"chat.typo\"",
            "events::RoomEvent knows [\"chat.message\", \"room.count\"]",
            "closing with 1011",
        ] {
            assert!(line.contains(piece), "{piece:?} not in {line}");
        }
        setup.server.shutdown().await;
    }
}

#[tokio::test]
async fn an_event_whose_payload_does_not_fit_its_variant_closes_with_1011() {
    let capture = LogCapture::global();
    let table = [
        (
            django("chat.message", json!({ "text": "hi" })),
            "missing field `message`",
        ),
        (
            django("room.count", json!({ "n": "three" })),
            "invalid type: string \"three\"",
        ),
    ];
    for (event, serde_error) in table {
        let mut setup = Setup::start().await;
        let mut client = connect(&setup.server.ws("/ws/room/")).await;
        setup.send(event).await;
        assert_eq!(expect_close(&mut client).await, 1011, "{serde_error}");
        assert_eq!(setup.reports.next().await, 1011, "{serde_error}");
        capture
            .wait_for(&[
                "ERROR",
                "consumer=\"events::Room\"",
                "into=\"events::RoomEvent\"",
                "does not fit this consumer's Event type",
                serde_error,
            ])
            .await;
        setup.server.shutdown().await;
    }
}

#[tokio::test]
async fn a_consumer_with_no_events_or_no_event_hook_closes_with_1011() {
    let capture = LogCapture::global();
    let table: [(&str, &[&str]); 2] = [
        (
            "/ws/deaf/",
            &[
                "ERROR",
                "consumer=\"events::Deaf\"",
                "event_type=\"room.count\"",
                "NoEvents has no variants",
            ],
        ),
        // The default hook fails, as any hook that returns an error.
        (
            "/ws/forgetful/",
            &[
                "ERROR",
                "hook=\"event\"",
                "events::Forgetful takes events but does not handle them",
            ],
        ),
    ];
    for (path, log) in table {
        let setup = Setup::start().await;
        let mut client = connect(&setup.server.ws(path)).await;
        setup.send(django("room.count", json!({ "n": 1 }))).await;
        assert_eq!(expect_close(&mut client).await, 1011, "{path}");
        capture.wait_for(log).await;
        setup.server.shutdown().await;
    }
}
