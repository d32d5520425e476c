//! The system under test: aqueduct serving the echo and chat examples.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-aqueduct -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/echo/` and
//! `/ws/chat/<room_name>/` until SIGTERM. `--redis URL` (and
//! `--redis-prefix PREFIX`) joins the chat's rooms through
//! `RedisChannelLayer` instead of the in-memory layer.

use std::sync::Arc;

use aqueduct::prelude::*;
use aqueduct::redis::{RedisChannelLayer, RedisConfig};
use aqueduct_bench::serving::{AqueductArgs, announce, init_logging};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = AqueductArgs::parse();
    init_logging();
    aqueduct_bench::raise_nofile_limit()?;

    let layer: Arc<dyn ChannelLayer> = match &args.redis {
        Some(urls) => Arc::new(redis_layer(urls, args.redis_prefix.as_deref()).await?),
        None => Arc::new(InMemoryChannelLayer::new()),
    };
    let app = ProtocolTypeRouter::new()
        .websocket(
            UrlRouter::new()
                .route("ws/echo/", example_echo::EchoConsumer::default)
                .route("ws/chat/<room_name>/", example_chat::ChatConsumer::default),
        )
        .with_channel_layer(layer);

    // Default settings throughout: the figures are for aqueduct as shipped.
    let server = aqueduct::Server::bind(&args.server.addr).await?;
    announce(server.local_addr()?);
    server.serve(app).await
}

/// The Redis layer at `urls` with its default settings, checked before the
/// server announces itself: a Redis that is down fails the start, not the run.
async fn redis_layer(urls: &str, prefix: Option<&str>) -> std::io::Result<RedisChannelLayer> {
    let mut config = RedisConfig::new().hosts(urls.split(',').map(str::trim));
    if let Some(prefix) = prefix {
        config = config.prefix(prefix);
    }
    RedisChannelLayer::connect(config)
        .await
        .map_err(std::io::Error::other)
}
