//! Under tokio's paused clock every wait of the communicator, and of the
//! application, is virtual: minutes of timeouts and expiries cost no wall
//! time, and the outcome does not depend on how busy the machine is.

use std::time::Duration;

use aqueduct_core::{
    CloseCode, Context, Event, InMemoryChannelLayer, Message, Result, WebsocketConsumer,
};
use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
use aqueduct_test::{ReceiveError, WebsocketCommunicator};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Joins the group `room`. `nap <secs>` sleeps, then says `awake`;
/// `shout <text>` tells the room; room events come out as their text.
#[derive(Default)]
struct Napper;

/// What travels through the room: `{"type": "note", "text": …}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum RoomEvent {
    Note { text: String },
}

#[async_trait]
impl WebsocketConsumer for Napper {
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct_core::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let text = message.as_text().unwrap_or_default();
        if let Some(secs) = text.strip_prefix("nap ") {
            tokio::time::sleep(Duration::from_secs(secs.parse()?)).await;
            ctx.send_text("awake").await?;
        } else if let Some(shout) = text.strip_prefix("shout ") {
            let note = RoomEvent::Note {
                text: shout.to_owned(),
            };
            ctx.group_send("room", Event::from_message(&note)?).await?;
        }
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        match event {
            RoomEvent::Note { text } => ctx.send_text(text).await,
        }
    }
}

/// Napper behind a router that hands it an in-memory channel layer.
fn app() -> ProtocolTypeRouter {
    ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/", Napper::default))
        .with_channel_layer(InMemoryChannelLayer::new())
}

/// Runs `test` and asserts it took virtual time but next to no wall time.
async fn instantly<F: Future<Output = ()>>(virtual_at_least: Duration, test: F) {
    let wall = std::time::Instant::now();
    let virtual_start = tokio::time::Instant::now();
    test.await;
    assert!(virtual_start.elapsed() >= virtual_at_least);
    assert!(
        wall.elapsed() < Duration::from_secs(1),
        "took {:?} of wall time",
        wall.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn an_hour_of_receive_nothing_takes_no_wall_time() {
    let mut communicator = WebsocketCommunicator::new(app(), "/ws/");
    communicator.connect().await.assert_accepted();
    instantly(Duration::from_secs(3600), async {
        assert!(
            communicator
                .receive_nothing_timeout(Duration::from_secs(3600))
                .await
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_consumer_sleeping_ninety_seconds_is_waited_for_in_no_wall_time() {
    let mut communicator = WebsocketCommunicator::new(app(), "/ws/");
    communicator.connect().await.assert_accepted();
    instantly(Duration::from_secs(90), async {
        communicator.send_to("nap 90").await;
        let early = communicator.try_receive_from(Duration::from_secs(1)).await;
        assert!(
            matches!(early, Err(ReceiveError::Timeout { .. })),
            "{early:?}"
        );
        let awake = communicator
            .receive_from_timeout(Duration::from_secs(120))
            .await;
        assert_eq!(awake, Message::text("awake"));
    })
    .await;
    communicator.disconnect(CloseCode::NORMAL).await;
}

#[tokio::test(start_paused = true)]
async fn layer_messages_unread_for_sixty_seconds_expire() {
    // A napping consumer reads no events; what waits for it longer than
    // the layer's 60 s expiry is dropped, as in Channels.
    #[rustfmt::skip]
    let table = [
        (30,  Some("early")),
        (120, None),
    ];
    for (nap, delivered) in table {
        let app = app();
        let mut sleeper = WebsocketCommunicator::new(app.clone(), "/ws/");
        let mut shouter = WebsocketCommunicator::new(app, "/ws/");
        sleeper.connect().await.assert_accepted();
        shouter.connect().await.assert_accepted();

        instantly(Duration::from_secs(nap), async {
            sleeper.send_to(format!("nap {nap}")).await;
            // Let the nap begin before the shout.
            assert!(sleeper.receive_nothing().await);
            shouter.send_to("shout early").await;
            assert_eq!(shouter.receive_from().await, Message::text("early"));

            let wait = Duration::from_secs(nap + 1);
            assert_eq!(
                sleeper.receive_from_timeout(wait).await,
                Message::text("awake")
            );
            match delivered {
                Some(text) => assert_eq!(sleeper.receive_from().await, Message::text(text)),
                None => assert!(sleeper.receive_nothing().await, "nap {nap}"),
            }
        })
        .await;
    }
}
