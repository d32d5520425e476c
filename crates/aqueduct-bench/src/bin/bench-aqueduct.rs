//! The system under test: aqueduct serving the echo and chat examples.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-aqueduct -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/echo/` and
//! `/ws/chat/<room_name>/` until SIGTERM. `--redis URL` (and
//! `--redis-prefix PREFIX`) joins the chat's rooms through
//! `RedisChannelLayer` instead of the in-memory layer. `--tls-cert PATH
//! --tls-key PATH` serves TLS as aqueduct's server does (HTTP/2 and
//! HTTP/1.1 offered by ALPN).

use aqueduct_bench::serving::{announce, aqueduct_limits, aqueduct_under_test};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (args, app) = aqueduct_under_test().await?;
    // Default settings throughout, so that the figures are for aqueduct as
    // shipped, but for the limits against abuse: the generator would trip
    // them (see `aqueduct_limits`).
    let mut server = aqueduct::Server::bind(&args.server.addr)
        .await?
        .limits(aqueduct_limits());
    if let Some((cert, key)) = args.tls.pem_files() {
        server = server
            .tls_pem_files(cert, key)
            .map_err(std::io::Error::other)?;
    }
    announce(server.local_addr()?);
    server.serve(app).await
}
