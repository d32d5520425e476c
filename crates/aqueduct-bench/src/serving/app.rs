//! The application aqueduct serves under test, whichever host runs it.

use std::io;
use std::sync::Arc;

use aqueduct::prelude::*;
use aqueduct::redis::{RedisChannelLayer, RedisConfig};
use aqueduct::{InMemoryConfig, Overflow};
use clap::Parser;

use super::{AqueductArgs, aqueduct_limits, init_logging};

/// What both aqueduct binaries do before they listen: read their command
/// line, set up the process (logging, the open-file limit) and build the
/// application: the echo and chat examples behind one [`UrlRouter`], at
/// `/ws/echo/` and `/ws/chat/<room_name>/`.
pub async fn aqueduct_under_test() -> io::Result<(AqueductArgs, ProtocolTypeRouter)> {
    let args = AqueductArgs::parse();
    init_logging();
    crate::raise_nofile_limit()?;
    let app = bench_app(&args).await?;
    Ok((args, app))
}

/// The application under test, on the in-memory layer or on the Redis that
/// `args` names. Default settings throughout, so that the figures are for
/// aqueduct as shipped, but for the overflow policy, which target j sets,
/// and the limits against abuse, which the generator would trip (see
/// [`aqueduct_limits`]); they are the limits of the router's own driver,
/// which bench-aqueduct-axum serves through.
///
/// Fails when the Redis asked for cannot be reached, before the server
/// announces itself: a Redis that is down fails the start, not the run.
async fn bench_app(args: &AqueductArgs) -> io::Result<ProtocolTypeRouter> {
    let layer: Arc<dyn ChannelLayer> = match &args.redis {
        Some(urls) => {
            let layer = redis_layer(urls, args.redis_prefix.as_deref(), args.overflow).await?;
            Arc::new(layer)
        }
        None => {
            let config = InMemoryConfig::default().overflow(args.overflow);
            Arc::new(InMemoryChannelLayer::with_config(config))
        }
    };
    let app = ProtocolTypeRouter::new()
        .websocket(
            UrlRouter::new()
                .route("ws/echo/", example_echo::EchoConsumer::default)
                .route("ws/chat/<room_name>/", example_chat::ChatConsumer::default),
        )
        .with_channel_layer(layer)
        .limits(aqueduct_limits());
    Ok(app)
}

/// The Redis layer at `urls` (comma-separated shards) with its default
/// settings, the key prefix and the overflow policy given, connected.
async fn redis_layer(
    urls: &str,
    prefix: Option<&str>,
    overflow: Overflow,
) -> io::Result<RedisChannelLayer> {
    let mut config = RedisConfig::new()
        .hosts(urls.split(',').map(str::trim))
        .overflow(overflow);
    if let Some(prefix) = prefix {
        config = config.prefix(prefix);
    }
    RedisChannelLayer::connect(config)
        .await
        .map_err(io::Error::other)
}
