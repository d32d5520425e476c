//! Serves the notifications demo: `cargo run`, then open
//! <http://127.0.0.1:8000/?token=alice-token> in two tabs and run
//! `curl -X POST -d 'hello' http://127.0.0.1:8000/notify/alice/`.
//! (In the aqueduct repository: `cargo run -p example-notify`.)
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere.
//!
//! Pages may open sockets only when served from `localhost`, `127.0.0.1`
//! or `[::1]` on the port served, or from the address served if it is
//! another. `--allowed-hosts a.example,b.example:8000` (or
//! `AQUEDUCT_ALLOWED_HOSTS`) replaces that list: Django's `ALLOWED_HOSTS`.

use std::net::SocketAddr;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Log at `info` unless RUST_LOG says otherwise: the server logs each
    // WebSocket accepted, refused and closed, and the middleware why.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();

    // Bind first: the allowed hosts name the port, which with port 0 the
    // system picks.
    let addr = arg("--addr", "AQUEDUCT_ADDR").unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let server = aqueduct::Server::bind(&addr).await?;
    let addr = server.local_addr()?;
    let allowed_hosts: Vec<String> = match arg("--allowed-hosts", "AQUEDUCT_ALLOWED_HOSTS") {
        Some(hosts) => hosts
            .split(',')
            .map(|host| host.trim().to_owned())
            .collect(),
        None => local_hosts(addr),
    };
    let app = example_notify::app(&allowed_hosts);
    println!("Notify server running: open http://{addr}/?token=alice-token");

    // Serve until Ctrl-C or SIGTERM.
    server.serve(app).await
}

/// The hosts a browser on this machine reaches `addr` by, each with its
/// port: the loopback names, and `addr` itself when it is another
/// address. A server on every interface (`0.0.0.0`) is reached by names
/// this cannot know; `--allowed-hosts` gives them.
fn local_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .map(|host| format!("{host}:{port}"))
        .collect();
    let ip = addr.ip();
    if !ip.is_loopback() && !ip.is_unspecified() {
        hosts.push(addr.to_string());
    }
    hosts
}

/// The value after `flag` on the command line, else the environment
/// variable `env`.
fn arg(flag: &str, env: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|arg| arg != flag).skip(1);
    args.next().or_else(|| std::env::var(env).ok())
}
