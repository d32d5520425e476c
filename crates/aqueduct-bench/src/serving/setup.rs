//! Process setup of a server under test: quiet logging and a stop signal.

use std::future::Future;
use std::io;

use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use super::announce;

/// The whole life of a baseline server under test: logging, the open-file
/// limit, a listener on `addr` announced with the ready line, then `serve`
/// on it until SIGTERM.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// aqueduct_bench::serving::serve_baseline("127.0.0.1:0", aqueduct_bench::raw::serve_rooms).await
/// # }
/// ```
pub async fn serve_baseline<F, Fut>(addr: &str, serve: F) -> io::Result<()>
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = io::Result<()>>,
{
    init_logging();
    crate::raise_nofile_limit()?;
    let listener = TcpListener::bind(addr).await?;
    announce(listener.local_addr()?);
    tokio::select! {
        served = serve(listener) => served,
        () = terminated() => Ok(()),
    }
}

/// Logs to stderr at `warn` (or as `RUST_LOG` says), keeping stdout for the
/// ready line and keeping logging out of the figures.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
}

/// Completes on SIGTERM or Ctrl-C, the signals the generator stops servers with.
pub async fn terminated() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
