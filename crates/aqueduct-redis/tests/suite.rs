//! The channel layer suite against `RedisChannelLayer` on a real Redis:
//! the same checks the in-memory layer passes. Each layer the suite makes
//! has a prefix of its own, so the checks run in parallel.

mod support;

use aqueduct_redis::{RedisChannelLayer, RedisConfig};
use aqueduct_test::layer_suite::LayerSettings;
use support::{layer, redis_available, unique_prefix};

async fn on_redis(settings: LayerSettings) -> RedisChannelLayer {
    let mut config = RedisConfig::new()
        .prefix(unique_prefix())
        .capacity(settings.capacity)
        .expiry(settings.expiry)
        .group_expiry(settings.group_expiry);
    for (pattern, capacity) in settings.channel_capacities {
        config = config.channel_capacity(pattern, capacity);
    }
    layer(config).await
}

aqueduct_test::layer_suite! {
    clock: real,
    skip_unless: redis_available(),
    layer: on_redis,
}
