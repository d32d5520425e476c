//! Serves the chat: `cargo run`, then open <http://127.0.0.1:8000/chat/>.
//! (In the aqueduct repository: `cargo run -p example-chat`.)
//!
//! `--addr HOST:PORT` (or `AQUEDUCT_ADDR`) serves elsewhere;
//! `--tls-cert PATH --tls-key PATH` serves `https://` and `wss://`.
//!
//! Only pages served from this machine at the port it serves on may open
//! a chat socket; `--allowed-hosts HOST,…` (or `AQUEDUCT_ALLOWED_HOSTS`)
//! names others, as Django's `ALLOWED_HOSTS` (`chat.example.com`,
//! `.example.com`, `*`).
//!
//! Behind a reverse proxy, `--proxy-headers` believes the client address
//! and scheme in its `X-Forwarded-For`, `X-Forwarded-Proto` and
//! `Forwarded` headers, when they come from loopback (a proxy on the same
//! host), as uvicorn's `--proxy-headers` does. `--forwarded-allow-ips LIST`
//! (or `AQUEDUCT_FORWARDED_ALLOW_IPS`) names the proxies to believe
//! instead, addresses and networks separated by commas
//! (`10.0.0.0/8, 127.0.0.1`), and turns the headers on too. Anyone else's
//! headers are ignored, and the limits per client address count the
//! client behind the proxy.
//!
//! `--redis URL` (or `AQUEDUCT_REDIS_URL`) puts the channel layer on Redis,
//! so that several processes, and Django Channels workers on the same
//! Redis, share the rooms. Several comma-separated URLs are shards, in the
//! order of channels_redis's `hosts`. `--redis-prefix PREFIX` and
//! `--redis-symmetric-key KEY` are channels_redis's `prefix` and
//! `symmetric_encryption_keys`.

use std::net::SocketAddr;
use std::sync::Arc;

use aqueduct::TrustedProxies;
use aqueduct::prelude::*;
use aqueduct::redis::{RedisChannelLayer, RedisConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Log at `info` unless RUST_LOG says otherwise: the server logs each
    // WebSocket accepted, refused and closed.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();

    // Connect to Redis before serving: a wrong URL or password, or a Redis
    // that is down, stops here with a message naming the host.
    let layer: Arc<dyn ChannelLayer> = match redis_config() {
        Some(config) => match RedisChannelLayer::connect(config).await {
            Ok(layer) => Arc::new(layer),
            Err(err) => {
                eprintln!("error: {err}");
                std::process::exit(1);
            }
        },
        None => Arc::new(InMemoryChannelLayer::new()),
    };

    // Bind first, then print the address: with port 0 the system picks it.
    let addr = arg("--addr", "AQUEDUCT_ADDR").unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let mut server = aqueduct::Server::bind(&addr).await?;
    let app = mysite::app_for_hosts(layer, &allowed_hosts(server.local_addr()?));
    let mut scheme = "http";
    if let (Some(cert), Some(key)) = (
        arg("--tls-cert", "AQUEDUCT_TLS_CERT"),
        arg("--tls-key", "AQUEDUCT_TLS_KEY"),
    ) {
        server = server
            .tls_pem_files(cert, key)
            .map_err(std::io::Error::other)?;
        scheme = "https";
    }
    if let Some(trusted) = trusted_proxies() {
        server = server.proxy_headers(trusted);
    }
    println!(
        "Chat server running: open {scheme}://{}/chat/",
        server.local_addr()?
    );

    // Serve until Ctrl-C or SIGTERM.
    server.serve(app).await
}

/// The Redis settings, when `--redis` or `AQUEDUCT_REDIS_URL` asks for
/// Redis: Django's `CHANNEL_LAYERS`, from the command line.
fn redis_config() -> Option<RedisConfig> {
    let urls = arg("--redis", "AQUEDUCT_REDIS_URL")?;
    let mut config = RedisConfig::new().hosts(urls.split(',').map(str::trim));
    if let Some(prefix) = arg("--redis-prefix", "AQUEDUCT_REDIS_PREFIX") {
        config = config.prefix(prefix);
    }
    if let Some(key) = arg("--redis-symmetric-key", "AQUEDUCT_REDIS_SYMMETRIC_KEY") {
        config = config.symmetric_encryption_key(key);
    }
    Some(config)
}

/// The hosts whose pages may open a chat socket: `--allowed-hosts`, or
/// this machine at the port the server listens on.
fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    if let Some(hosts) = arg("--allowed-hosts", "AQUEDUCT_ALLOWED_HOSTS") {
        return hosts
            .split(',')
            .map(|host| host.trim().to_owned())
            .collect();
    }
    let port = addr.port();
    let mut hosts: Vec<String> = mysite::LOCAL_HOSTS
        .iter()
        .map(|host| format!("{host}:{port}"))
        .collect();
    // Bound to one address of the network: pages served from it too.
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        hosts.push(SocketAddr::new(addr.ip(), port).to_string());
    }
    hosts
}

/// The proxies whose headers to believe, when `--proxy-headers` or
/// `--forwarded-allow-ips` asks: uvicorn's flags, loopback by default.
/// A list that does not parse stops the server, naming the bad entry.
fn trusted_proxies() -> Option<TrustedProxies> {
    let Some(list) = arg("--forwarded-allow-ips", "AQUEDUCT_FORWARDED_ALLOW_IPS") else {
        let on = std::env::args().any(|arg| arg == "--proxy-headers");
        return on.then(TrustedProxies::loopback);
    };
    match list.parse() {
        Ok(trusted) => Some(trusted),
        Err(err) => {
            eprintln!("error: --forwarded-allow-ips: {err}");
            std::process::exit(1);
        }
    }
}

/// The value after `flag` on the command line, else the environment
/// variable `env`.
fn arg(flag: &str, env: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|arg| arg != flag).skip(1);
    args.next().or_else(|| std::env::var(env).ok())
}
