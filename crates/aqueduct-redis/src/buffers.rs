//! The queues a process keeps for its own channels, which both layers
//! fill with what they read off Redis.

use aqueduct_core::__private::{deliver_locally, log_skipped};
use aqueduct_core::{Event, InMemoryChannelLayer, InMemoryConfig, Overflow};

use crate::config::RedisConfig;

/// Queues of `config`'s capacity, whose messages expire after its expiry.
pub(crate) fn local_buffers(config: &RedisConfig) -> InMemoryChannelLayer {
    InMemoryChannelLayer::with_config(
        InMemoryConfig::default()
            // Bug: local channels ignored channel_capacity patterns.
            .capacities(config.capacities.clone())
            .expiry(config.expiry)
            .overflow(config.overflow),
    )
}

/// The policy for what a reading process hands on from Redis: the
/// layer's own, except that it never waits.
///
/// One loop per Redis key reads every channel of the process; waiting in
/// it for one slow consumer would hold up every other consumer of the
/// process, so `Wait` is `Close` here. The sender, in another process,
/// has long gone on.
pub(crate) fn reading_policy(overflow: Overflow) -> Overflow {
    match overflow {
        Overflow::Wait(_) => Overflow::Close,
        other => other,
    }
}

/// Hands a message read off Redis to `channels`, this process's own, as
/// `overflow` says a full one is treated.
pub(crate) async fn hand_to_channels(
    buffers: &InMemoryChannelLayer,
    channels: &[impl AsRef<str>],
    event: &Event,
    overflow: Overflow,
) {
    let report = deliver_locally(buffers, channels, event, overflow).await;
    log_skipped(None, &report, overflow);
}
