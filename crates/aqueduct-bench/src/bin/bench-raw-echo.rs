//! The echo baseline: tokio-tungstenite alone, no framework.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-raw-echo -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and echoes on every path until SIGTERM.

use aqueduct_bench::raw::serve_echo;
use aqueduct_bench::serving::{ServerArgs, serve_baseline};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    serve_baseline(&args.addr, serve_echo).await
}
