//! Sending and receiving on one channel: order, at most once, capacity.

use aqueduct_core::{ChannelLayer, LayerError};

use super::super::probe::{both_kinds, drain, event, fill, is_full, next, send, try_next};
use super::super::{LayerFactory, LayerSettings};

/// Messages to one channel come out in the order they went in, once each,
/// and channels do not mix.
pub async fn fifo_and_at_most_once_per_channel(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let [named, local] = both_kinds(&layer, "first").await;
    for channel in [&named, &local] {
        for n in 0..5 {
            send(&layer, channel, n).await;
            send(&layer, "second", 100 + n).await;
        }
        assert_eq!(drain(&layer, channel).await, [0, 1, 2, 3, 4], "{channel}");
        assert_eq!(drain(&layer, "second").await, [100, 101, 102, 103, 104]);
        // Each message was handed out once: nothing is left to read again.
        assert_eq!(try_next(&layer, channel).await, None, "{channel}");
    }
}

/// A channel holds 100 unread messages; the 101st send is `ChannelFull`
/// and is not queued, and a receive makes room for one more.
pub async fn default_capacity_is_100_and_a_receive_makes_room(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    for channel in both_kinds(&layer, "worker").await {
        assert_eq!(fill(&layer, &channel).await, 100, "{channel}");
        let refused = layer.send(&channel, event(100)).await;
        assert!(
            is_full(&refused, &channel),
            "the 101st send gave {refused:?}"
        );

        assert_eq!(next(&layer, &channel).await, 0);
        send(&layer, &channel, 101).await;
        let refused = layer.send(&channel, event(102)).await;
        assert!(
            matches!(refused, Err(LayerError::ChannelFull { .. })),
            "{refused:?}"
        );

        let left = drain(&layer, &channel).await;
        let expected: Vec<u64> = (1..100).chain([101]).collect();
        assert_eq!(
            left, expected,
            "{channel}: the refused messages were not queued"
        );
    }
}

/// `channel_capacity` patterns are globs; the first one that matches a
/// channel sets its capacity, else the default does.
pub async fn channel_capacity_patterns_first_match_wins(factory: &impl LayerFactory) {
    let settings = LayerSettings::default()
        .capacity(3)
        .channel_capacity("small.*", 1)
        .channel_capacity("small.big", 10)
        .channel_capacity("big.?", 5);
    let layer = factory.make(settings).await;
    let small_local = layer.new_channel("small").await.expect("new_channel");
    let other_local = layer.new_channel("specific").await.expect("new_channel");
    let table = [
        ("small.x", 1),
        ("small.big", 1),
        ("big.x", 5),
        ("big.xy", 3),
        ("other", 3),
        (small_local.as_str(), 1),
        (other_local.as_str(), 3),
    ];
    for (channel, capacity) in table {
        assert_eq!(fill(&layer, channel).await, capacity, "{channel}");
    }
}

/// `close_channel` is no error, for a channel never used either, and
/// leaves every other channel's messages where they are.
pub async fn close_channel_leaves_other_channels_alone(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let leaving = both_kinds(&layer, "leaving").await;
    let staying = both_kinds(&layer, "staying").await;
    for (leaving, staying) in leaving.iter().zip(&staying) {
        send(&layer, leaving, 1).await;
        send(&layer, staying, 2).await;
        let closed = layer.close_channel(leaving).await;
        assert!(closed.is_ok(), "close_channel {leaving}: {closed:?}");
        assert_eq!(drain(&layer, staying).await, [2], "{staying}");
    }
    let closed = layer.close_channel("never.used").await;
    assert!(
        closed.is_ok(),
        "close_channel of an unknown channel: {closed:?}"
    );
}
