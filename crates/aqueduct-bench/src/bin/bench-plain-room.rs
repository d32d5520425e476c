//! The plain chat baseline: a room server as a user would first write it,
//! with a broadcast channel per room and tungstenite's default settings (but a 4 KiB read buffer).
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-plain-room -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/chat/<room>/` until SIGTERM.

use aqueduct_bench::raw::serve_plain_rooms;
use aqueduct_bench::serving::{ServerArgs, serve_baseline};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    serve_baseline(&args.addr, serve_plain_rooms).await
}
