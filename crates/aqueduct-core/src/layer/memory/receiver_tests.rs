//! Tests of `receiver`, the stream a consumer's run loop listens on, as
//! far as it is the in-memory layer's own; the layer suite checks its order.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::time::timeout;

use super::*;

fn event(n: u64) -> Event {
    Event::new("test.message", &json!({ "n": n })).unwrap()
}

async fn next_number(events: &mut BoxStream<'_, Result<Event, LayerError>>) -> u64 {
    let event = timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the receiver was never woken")
        .expect("the receiver ended")
        .unwrap();
    let value: serde_json::Value = event.decode().unwrap();
    value["n"].as_u64().unwrap()
}

#[tokio::test(start_paused = true)]
async fn keeps_listening_across_flush_and_close_channel() {
    let layer = InMemoryChannelLayer::new();
    let mut events = layer.receiver("a");
    layer.flush().await.unwrap();
    layer.send("a", event(1)).await.unwrap();
    assert_eq!(next_number(&mut events).await, 1, "after flush");
    layer.close_channel("a").await.unwrap();
    layer.send("a", event(2)).await.unwrap();
    assert_eq!(next_number(&mut events).await, 2, "after close_channel");
}

#[tokio::test]
async fn a_bad_channel_name_is_one_error() {
    let layer = InMemoryChannelLayer::new();
    let mut events = layer.receiver("not a name");
    assert!(matches!(
        events.next().await,
        Some(Err(LayerError::InvalidChannelName { .. }))
    ));
    assert!(events.next().await.is_none());
}

/// A layer that only implements the required methods, to check the
/// default `receiver` that every other layer gets.
struct OnlyReceive(InMemoryChannelLayer);

#[async_trait]
impl ChannelLayer for OnlyReceive {
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError> {
        self.0.new_channel(prefix).await
    }
    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        self.0.send(channel, event).await
    }
    async fn receive(&self, channel: &str) -> Result<Event, LayerError> {
        self.0.receive(channel).await
    }
    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        self.0.group_add(group, channel).await
    }
    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        self.0.group_discard(group, channel).await
    }
    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError> {
        self.0.group_send(group, event).await
    }
    async fn flush(&self) -> Result<(), LayerError> {
        self.0.flush().await
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_receiver_calls_receive_for_each_event() {
    let layer = OnlyReceive(InMemoryChannelLayer::new());
    for n in 1..=3 {
        layer.send("a", event(n)).await.unwrap();
    }
    let mut events = layer.receiver("a");
    for n in 1..=3 {
        assert_eq!(next_number(&mut events).await, n);
    }
}
