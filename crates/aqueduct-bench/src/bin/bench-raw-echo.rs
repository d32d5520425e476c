//! The echo baseline: tokio-tungstenite alone, no framework.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-raw-echo -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and echoes on every path until SIGTERM.
//! `--tls-cert PATH --tls-key PATH` serves the same echo over TLS
//! (tokio-rustls), offering HTTP/1.1 by ALPN.

use aqueduct_bench::raw::{serve_echo, serve_echo_tls};
use aqueduct_bench::serving::{RawEchoArgs, serve_baseline, tls_server_config};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = RawEchoArgs::parse();
    let addr = &args.server.addr;
    match args.tls.pem_files() {
        Some((cert, key)) => {
            let config = tls_server_config(cert, key)?;
            serve_baseline(addr, |listener| serve_echo_tls(listener, config)).await
        }
        None => serve_baseline(addr, serve_echo).await,
    }
}
