//! The system under test: aqueduct serving the echo and chat examples.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-aqueduct -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/echo/` and
//! `/ws/chat/<room_name>/` until SIGTERM. `--redis URL` (and
//! `--redis-prefix PREFIX`) joins the chat's rooms through
//! `RedisChannelLayer` instead of the in-memory layer.

use aqueduct_bench::serving::{announce, aqueduct_under_test};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (args, app) = aqueduct_under_test().await?;
    // Default settings throughout: the figures are for aqueduct as shipped.
    let server = aqueduct::Server::bind(&args.server.addr).await?;
    announce(server.local_addr()?);
    server.serve(app).await
}
