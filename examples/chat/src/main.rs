//! Serves the chat: `cargo run`, then open <http://127.0.0.1:8000/chat/>.
//! (In the aqueduct repository: `cargo run -p example-chat`.)
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Log at `info` unless RUST_LOG says otherwise: the server logs each
    // WebSocket accepted, refused and closed.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();

    // Bind first, then print the address: with port 0 the system picks it.
    let addr = addr_from_args("127.0.0.1:8000");
    let server = aqueduct::Server::bind(&addr).await?;
    println!(
        "Chat server running: open http://{}/chat/",
        server.local_addr()?
    );

    // Serve until Ctrl-C or SIGTERM.
    server.serve(mysite::app()).await
}

/// `--addr HOST:PORT` wins over `AQUEDUCT_ADDR`, which wins over `default`.
fn addr_from_args(default: &str) -> String {
    let mut args = std::env::args().skip_while(|arg| arg != "--addr").skip(1);
    args.next()
        .or_else(|| std::env::var("AQUEDUCT_ADDR").ok())
        .unwrap_or_else(|| default.to_owned())
}
