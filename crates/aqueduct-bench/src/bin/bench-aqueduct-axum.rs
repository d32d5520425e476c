//! aqueduct mounted in axum: bench-aqueduct's application as routes of an
//! `axum::Router`, served by `axum::serve`.
//!
//! Run with `cargo run --release -p aqueduct-bench --bin bench-aqueduct-axum -- --addr 127.0.0.1:0`;
//! it prints `listening on HOST:PORT` and serves `/ws/echo/` and
//! `/ws/chat/<room_name>/` until SIGTERM, with bench-aqueduct's options
//! but TLS.

use std::time::Duration;

use aqueduct_bench::serving::{announce, aqueduct_under_test, terminated};
use axum::serve::ListenerExt;

/// How long the WebSockets get to close after axum stops, as long as
/// aqueduct's own server gives them.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (args, app) = aqueduct_under_test().await?;
    if args.tls.pem_files().is_some() {
        let refusal =
            "bench-aqueduct-axum serves no TLS (axum::serve has none); use bench-aqueduct";
        return Err(std::io::Error::other(refusal));
    }
    let websockets = app.driver().clone();
    // Mounted as examples/axum mounts the chat: axum routes the path, then
    // aqueduct's UrlRouter routes it again to its consumer.
    let router = axum::Router::new()
        .route_service("/ws/echo/", app.clone())
        .route_service("/ws/chat/{room_name}/", app);

    let listener = tokio::net::TcpListener::bind(&args.server.addr).await?;
    announce(listener.local_addr()?);
    // aqueduct's server sets TCP_NODELAY on every connection; axum::serve
    // leaves it to the listener, and axum's docs tap it on like this.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(terminated())
        .await?;
    // axum does not see the connections it upgraded: they are aqueduct's
    // to close, with 1001.
    websockets.shutdown(SHUTDOWN_TIMEOUT).await;
    Ok(())
}
