//! Full members under the overflow policies: under the default, the
//! reader that missed messages is told; `Wait` waits for room.
//!
//! The default's check uses process-local channels, those a layer hands
//! messages to in its own process: a layer on a server (Redis) can tell
//! their reader, while the reader of a full named channel may be in
//! another process, where a sender cannot reach it.

use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{ChannelLayer, LayerError, Overflow};
use tokio::time::timeout;

use super::super::probe::{
    ARRIVES_WITHIN, QUIET, both_kinds, drain, fill, group_send, group_send_with, join, next,
};
use super::super::{LayerFactory, LayerSettings};

/// What the next receive on `channel` gets, as the count of a report of
/// misses; fails the check on a message or any other error.
async fn missed(layer: &impl ChannelLayer, channel: &str) -> u64 {
    match timeout(ARRIVES_WITHIN, layer.receive(channel)).await {
        Ok(Err(LayerError::Overflowed {
            channel: told,
            missed,
        })) => {
            assert_eq!(told, channel, "the report names its channel");
            missed
        }
        Ok(Ok(event)) => panic!("{channel}: a message ({event:?}) before the report of misses"),
        Ok(Err(err)) => panic!("receive on {channel}: {err}"),
        Err(_) => panic!("{channel}: no report of misses within {ARRIVES_WITHIN:?}"),
    }
}

/// Under the default policy, a full member's reader is told of the miss
/// before anything else, with the count of what it missed (the messages
/// it held, which it will not get either, and the one it had no room
/// for), then receives normally; the other members get the message.
pub async fn close_tells_a_full_member_first_and_spares_the_others(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default().capacity(2)).await;
    let full = layer.new_channel("specific").await.expect("new_channel");
    let quick = layer.new_channel("specific").await.expect("new_channel");
    join(&layer, "room", &[&full, &quick]).await;
    assert_eq!(fill(&layer, &full).await, 2);

    let report = group_send(&layer, "room", 7).await;
    assert_eq!(
        (report.delivered, report.over_capacity),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(drain(&layer, &quick).await, [7]);
    assert_eq!(missed(&layer, &full).await, 3);
    assert_eq!(
        drain(&layer, &full).await,
        [] as [u64; 0],
        "nothing stale after it"
    );

    let report = group_send(&layer, "room", 8).await;
    assert_eq!(report.delivered, 2, "told once, a member again");
    assert_eq!(drain(&layer, &full).await, [8]);
}

/// Under `Wait`, a send to a full member returns once the member's reader
/// has made room, and the message arrives after what was queued before it.
pub async fn wait_delivers_once_the_reader_makes_room(factory: &impl LayerFactory) {
    let layer = Arc::new(factory.make(LayerSettings::default().capacity(2)).await);
    for channel in both_kinds(&*layer, "slow").await {
        join(&*layer, &format!("room-{}", channel.len()), &[&channel]).await;
        assert_eq!(fill(&*layer, &channel).await, 2);
        let sender = {
            let (layer, group) = (Arc::clone(&layer), format!("room-{}", channel.len()));
            let wait = Overflow::Wait(ARRIVES_WITHIN);
            tokio::spawn(async move { group_send_with(&*layer, &group, 7, wait).await })
        };
        tokio::time::sleep(QUIET).await;
        assert!(!sender.is_finished(), "{channel}: the send waits for room");
        assert_eq!(next(&*layer, &channel).await, 0, "{channel}");
        let report = timeout(ARRIVES_WITHIN, sender)
            .await
            .expect("the waiting send was never woken")
            .expect("the sender panicked");
        assert_eq!(report.delivered, 1, "{channel}: {report:?}");
        assert_eq!(drain(&*layer, &channel).await, [1, 7], "{channel}");
    }
}

/// Under `Wait`, a member still full at the timeout is told, as under
/// the default.
pub async fn wait_past_its_timeout_tells_the_full_member(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default().capacity(2)).await;
    let full = layer.new_channel("specific").await.expect("new_channel");
    join(&layer, "room", &[&full]).await;
    assert_eq!(fill(&layer, &full).await, 2);
    let wait = Overflow::Wait(Duration::from_millis(200));
    let report = group_send_with(&layer, "room", 7, wait).await;
    assert_eq!(report.over_capacity, 1, "{report:?}");
    assert_eq!(missed(&layer, &full).await, 3);
}
