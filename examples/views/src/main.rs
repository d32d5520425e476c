//! Run with `cargo run -p example-views`, then open <http://127.0.0.1:8002/echo/?message=hi>
//! or connect a WebSocket to `ws://127.0.0.1:8002/echo/`.
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();

    let addr = addr_from_args("127.0.0.1:8002");
    let server = aqueduct::Server::bind(&addr).await?;
    let addr = server.local_addr()?;
    println!(
        "Views server running on http://{addr}/echo/?message=hi (WebSocket: ws://{addr}/echo/)"
    );
    server.serve(example_views::app()).await
}

/// `--addr HOST:PORT` wins over `AQUEDUCT_ADDR`, which wins over `default`.
fn addr_from_args(default: &str) -> String {
    let mut args = std::env::args().skip_while(|arg| arg != "--addr").skip(1);
    args.next()
        .or_else(|| std::env::var("AQUEDUCT_ADDR").ok())
        .unwrap_or_else(|| default.to_owned())
}
