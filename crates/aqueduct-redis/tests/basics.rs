//! The layer against a real Redis, beyond the shared suite: what only a
//! Redis layer does.

mod support;

use aqueduct_core::{ChannelLayer, Event};
use aqueduct_redis::RedisConfig;
use serde_json::json;
use support::{layer, redis_available, unique_prefix};

fn chat(text: &str) -> Event {
    Event::new("chat.message", &json!({ "message": text })).unwrap()
}

/// Two processes' layers (two layers, each with its own readers) share a
/// group, and each reads only its own channels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_layers_share_a_group_and_a_named_channel() {
    if !redis_available() {
        return;
    }
    let prefix = unique_prefix();
    let a = layer(RedisConfig::new().prefix(&prefix)).await;
    let b = layer(RedisConfig::new().prefix(&prefix)).await;
    let on_a = a.new_channel("specific").await.unwrap();
    let on_b = b.new_channel("specific").await.unwrap();
    a.group_add("chat_lobby", &on_a).await.unwrap();
    b.group_add("chat_lobby", &on_b).await.unwrap();

    let report = a.group_send("chat_lobby", chat("hi")).await.unwrap();
    assert_eq!((report.delivered, report.over_capacity), (2, 0));
    assert_eq!(a.receive(&on_a).await.unwrap(), chat("hi"));
    assert_eq!(b.receive(&on_b).await.unwrap(), chat("hi"));

    a.send(&on_b, chat("direct")).await.unwrap();
    assert_eq!(b.receive(&on_b).await.unwrap(), chat("direct"));
    assert!(a.receive(&on_b).await.is_err(), "another process's channel");

    a.send("worker", chat("job")).await.unwrap();
    assert_eq!(b.receive("worker").await.unwrap(), chat("job"));
    a.flush().await.unwrap();
}
