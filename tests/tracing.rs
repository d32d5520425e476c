//! What the server tells `tracing`: a span per connection with its path,
//! client and channel name, and events for accept, reject and close.

use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct_tests::{TestServer, connect, connect_refused, recv_text, send_text};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event as TracingEvent, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Writes every span, field record and event as one line.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: LayerContext<'_, S>) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let name = ctx.span(id).map_or("?", |span| span.name());
        let mut fields = Fields(format!("record {name}"));
        values.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn on_event(&self, event: &TracingEvent<'_>, ctx: LayerContext<'_, S>) {
        let span = ctx.event_span(event).map_or("none", |span| span.name());
        let mut fields = Fields(format!("event in {span}:"));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

impl Capture {
    fn has(&self, pieces: &[&str]) -> bool {
        let lines = self.0.lock().unwrap();
        lines
            .iter()
            .any(|line| pieces.iter().all(|piece| line.contains(piece)))
    }

    async fn wait_for(&self, pieces: &[&str]) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.has(pieces) {
            if tokio::time::Instant::now() > deadline {
                let lines = self.0.lock().unwrap().join("\n");
                panic!("no trace line with {pieces:?}; got:\n{lines}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[derive(Debug, Default)]
struct Echo;

#[async_trait]
impl WebsocketConsumer for Echo {
    type Event = NoEvents;

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        ctx.send(message).await
    }
}

#[tokio::test]
async fn each_connection_has_a_span_and_its_milestones_are_events() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/echo/", Echo::default))
        .with_channel_layer(InMemoryChannelLayer::new());
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/ws/echo/")).await;
    send_text(&mut client, "hi").await;
    assert_eq!(recv_text(&mut client).await, "hi");
    client.close(None).await.unwrap();
    let (status, _) = connect_refused(&server.ws("/ws/missing/")).await;
    assert_eq!(status, 404);

    capture
        .wait_for(&["span websocket", "path=/ws/echo/", "client=127.0.0.1:"])
        .await;
    capture
        .wait_for(&["record websocket", "channel=\"specific.inmemory!"])
        .await;
    capture
        .wait_for(&["event in websocket:", "websocket accepted"])
        .await;
    capture
        .wait_for(&[
            "event in websocket:",
            "websocket closed by client",
            "code=1005",
        ])
        .await;
    capture
        .wait_for(&["event in websocket:", "websocket rejected", "status=404"])
        .await;
    server.shutdown().await;
}
