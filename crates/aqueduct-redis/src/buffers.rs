//! The queues a process keeps for its own channels, which both layers
//! fill with what they read off Redis.

use std::sync::atomic::{AtomicU64, Ordering};

use aqueduct_core::{InMemoryChannelLayer, InMemoryConfig, LayerError};

use crate::config::RedisConfig;

/// Queues of `config`'s capacity, whose messages expire after its expiry.
pub(crate) fn local_buffers(config: &RedisConfig) -> InMemoryChannelLayer {
    InMemoryChannelLayer::with_config(
        InMemoryConfig::default()
            // Bug: local channels ignored channel_capacity patterns.
            .capacities(config.capacities.clone())
            .expiry(config.expiry),
    )
}

/// Messages dropped because their channel was full, for sparse logging.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Logs a message that could not be queued for `channel`: a full channel
/// only now and then.
pub(crate) fn log_handed(handed: Result<(), LayerError>, channel: &str) {
    match handed {
        Ok(()) => {}
        Err(LayerError::ChannelFull { .. }) => {
            let dropped = DROPPED.fetch_add(1, Ordering::Relaxed) + 1;
            // 1, 2, 4, 8…: a reader that stopped reading cannot flood the log.
            if dropped.is_power_of_two() {
                tracing::warn!(
                    channel,
                    dropped_in_total = dropped,
                    "a local channel is full: its reader is not keeping up; message dropped"
                );
            }
        }
        Err(err) => tracing::warn!(channel, error = %err, "could not hand a message on"),
    }
}
