//! The channel layer suite against the in-memory layer, on tokio's paused
//! clock: the expiry checks cost no wall time.

use aqueduct_core::{InMemoryChannelLayer, InMemoryConfig};
use aqueduct_test::layer_suite::LayerSettings;

async fn in_memory(settings: LayerSettings) -> InMemoryChannelLayer {
    let mut config = InMemoryConfig::default()
        .capacity(settings.capacity)
        .expiry(settings.expiry)
        .group_expiry(settings.group_expiry);
    for (pattern, capacity) in settings.channel_capacities {
        config = config.channel_capacity(pattern, capacity);
    }
    InMemoryChannelLayer::with_config(config)
}

aqueduct_test::layer_suite! {
    clock: paused,
    layer: in_memory,
}
