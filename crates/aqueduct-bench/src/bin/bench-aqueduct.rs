//! The system under test: aqueduct serving the echo and chat examples.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-aqueduct -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/echo/` and
//! `/ws/chat/<room_name>/` until SIGTERM.

use aqueduct::prelude::*;
use aqueduct_bench::serving::{ServerArgs, announce, init_logging};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    init_logging();
    aqueduct_bench::raise_nofile_limit()?;

    let app = ProtocolTypeRouter::new()
        .websocket(
            UrlRouter::new()
                .route("ws/echo/", example_echo::EchoConsumer::default)
                .route("ws/chat/<room_name>/", example_chat::ChatConsumer::default),
        )
        .with_channel_layer(InMemoryChannelLayer::new());

    // Default settings throughout: the figures are for aqueduct as shipped.
    let server = aqueduct::Server::bind(&args.addr).await?;
    announce(server.local_addr()?);
    server.serve(app).await
}
