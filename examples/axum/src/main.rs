//! Serves an axum application with aqueduct's chat mounted in it:
//! `cargo run -p example-axum`, then open <http://127.0.0.1:8002/>.
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere.

use std::time::Duration;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();

    let addr = addr_from_args("127.0.0.1:8002");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "axum app with aqueduct chat: open http://{}/",
        listener.local_addr()?
    );

    let (app, websockets) = example_axum::app();
    axum::serve(listener, app)
        .with_graceful_shutdown(terminate())
        .await?;
    // axum has stopped accepting and finished its HTTP requests; the
    // WebSockets it upgraded are aqueduct's to close, with 1001.
    websockets.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

/// Completes on Ctrl-C, or SIGTERM on Unix.
async fn terminate() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// `--addr HOST:PORT` wins over `AQUEDUCT_ADDR`, which wins over `default`.
fn addr_from_args(default: &str) -> String {
    let mut args = std::env::args().skip_while(|arg| arg != "--addr").skip(1);
    args.next()
        .or_else(|| std::env::var("AQUEDUCT_ADDR").ok())
        .unwrap_or_else(|| default.to_owned())
}
