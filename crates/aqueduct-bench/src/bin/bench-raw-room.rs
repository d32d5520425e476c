//! The chat baseline: hyper and hyper-tungstenite alone, no framework.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-raw-room -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/chat/<room>/` until SIGTERM.

use aqueduct_bench::raw::serve_rooms;
use aqueduct_bench::serving::{ServerArgs, serve_baseline};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    serve_baseline(&args.addr, serve_rooms).await
}
