//! A channel layer whose service is away (Redis restarting) ends the
//! connections that need it with "try again later", not "internal error".

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aqueduct_core::{
    ChannelLayer, CloseCode, Context, Event, GroupSendReport, InMemoryChannelLayer, LayerError,
    Message, NoEvents, Result, Scope, WebsocketConsumer,
};
use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
use aqueduct_test::WebsocketCommunicator;
use async_trait::async_trait;
use http::StatusCode;

/// The in-memory layer, with a switch that makes its service "away".
#[derive(Clone, Default)]
struct Flaky {
    layer: InMemoryChannelLayer,
    away: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> Result<(), LayerError> {
        if self.away.load(Ordering::Relaxed) {
            return Err(LayerError::Unavailable(
                "Redis at 127.0.0.1:6379 is unreachable".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl ChannelLayer for Flaky {
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError> {
        self.layer.new_channel(prefix).await
    }
    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        self.check()?;
        self.layer.send(channel, event).await
    }
    async fn receive(&self, channel: &str) -> Result<Event, LayerError> {
        self.layer.receive(channel).await
    }
    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        self.check()?;
        self.layer.group_add(group, channel).await
    }
    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        self.layer.group_discard(group, channel).await
    }
    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError> {
        self.check()?;
        self.layer.group_send(group, event).await
    }
    async fn flush(&self) -> Result<(), LayerError> {
        self.layer.flush().await
    }
}

/// Joins `room` before connecting, and sends every message to it.
#[derive(Default)]
struct Room;

#[async_trait]
impl WebsocketConsumer for Room {
    type Event = NoEvents;

    fn groups(&self, _scope: &Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let text = message.as_text().unwrap_or_default().to_owned();
        ctx.group_send(
            "room",
            Event::new("room.message", &serde_json::json!({ "text": text }))?,
        )
        .await?;
        Ok(())
    }
}

fn app(layer: &Flaky) -> ProtocolTypeRouter {
    ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/", Room::default))
        .with_channel_layer(Arc::new(layer.clone()) as Arc<dyn ChannelLayer>)
}

#[tokio::test]
async fn a_handshake_while_the_layer_is_away_gets_503() {
    let layer = Flaky::default();
    layer.away.store(true, Ordering::Relaxed);
    let mut client = WebsocketCommunicator::new(app(&layer), "/ws/");
    client
        .connect()
        .await
        .assert_rejected(StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_hook_that_fails_because_the_layer_is_away_closes_with_1013() {
    let layer = Flaky::default();
    let mut client = WebsocketCommunicator::new(app(&layer), "/ws/");
    client.connect().await.assert_accepted();
    layer.away.store(true, Ordering::Relaxed);
    client.send_to("hello").await;
    assert_eq!(client.receive_close().await, CloseCode::TRY_AGAIN_LATER);
}
