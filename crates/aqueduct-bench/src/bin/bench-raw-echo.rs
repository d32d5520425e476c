//! The echo baseline: tokio-tungstenite alone, no framework.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-raw-echo -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and echoes on every path until SIGTERM.

use aqueduct_bench::serving::{ServerArgs, announce, init_logging, terminated};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    init_logging();
    aqueduct_bench::raise_nofile_limit()?;

    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    announce(listener.local_addr()?);
    tokio::select! {
        served = aqueduct_bench::raw::serve_echo(listener) => served,
        () = terminated() => Ok(()),
    }
}
