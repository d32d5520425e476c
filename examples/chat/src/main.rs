//! Serves the chat: `cargo run`, then open <http://127.0.0.1:8000/chat/>.
//! (In the aqueduct repository: `cargo run -p example-chat`.)
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere;
//! `--tls-cert PATH --tls-key PATH` serves `https://` and `wss://`.

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
    let mut server = aqueduct::Server::bind(&addr).await?;
    let mut scheme = "http";
    if let (Some(cert), Some(key)) = (arg("--tls-cert"), arg("--tls-key")) {
        server = server
            .tls_pem_files(cert, key)
            .map_err(std::io::Error::other)?;
        scheme = "https";
    }
    println!(
        "Chat server running: open {scheme}://{}/chat/",
        server.local_addr()?
    );

    // Serve until Ctrl-C or SIGTERM.
    server.serve(mysite::app()).await
}

/// `--addr HOST:PORT` wins over `AQUEDUCT_ADDR`, which wins over `default`.
fn addr_from_args(default: &str) -> String {
    arg("--addr")
        .or_else(|| std::env::var("AQUEDUCT_ADDR").ok())
        .unwrap_or_else(|| default.to_owned())
}

/// The value after `name` on the command line, if any.
fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|arg| arg != name).nth(1)
}
