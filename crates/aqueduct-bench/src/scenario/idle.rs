//! `idle`: the server's memory per open, quiet connection.

use std::time::Duration;

use clap::Args;
use futures_util::{SinkExt, StreamExt, stream};
use serde::Serialize;
use serde_json::Value;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use super::{CONNECT_CONCURRENCY, seconds};
use crate::client::{self, Dialer, Socket};
use crate::error::Error;
use crate::report::Report;
use crate::rss::rss_kib;
use crate::stats::round1;

/// How long the check of one held connection may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Options of `idle`: open many connections to an echo route, hold them,
/// and see what they cost the server.
#[derive(Debug, Clone, Args, Serialize)]
pub struct IdleArgs {
    /// WebSocket URL of an echo route, e.g. ws://127.0.0.1:8001/ws/echo/.
    #[arg(long)]
    pub url: String,
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Process id of the server, whose memory is measured.
    #[arg(long)]
    pub pid: u32,
    /// Seconds to hold the connections before measuring.
    #[arg(long, default_value_t = 5.0)]
    pub hold: f64,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = CONNECT_CONCURRENCY)]
    pub concurrency: usize,
}

#[derive(Debug, Serialize)]
struct Figures {
    connected: usize,
    connect_failures: usize,
    rss_before_kib: u64,
    rss_after_kib: u64,
    kib_per_connection: f64,
    connections_open: usize,
    all_held: bool,
}

/// Runs `idle` and returns its report.
pub(crate) async fn run(args: &IdleArgs) -> Result<Value, Error> {
    let hold = seconds("hold", args.hold)?;
    Dialer::PLAIN.probe(&args.url).await?;
    let rss_before_kib = rss_kib(args.pid)?;
    let urls = vec![args.url.clone(); args.connections];
    let opened = Dialer::PLAIN
        .connect_many("idle", urls, args.concurrency)
        .await;
    if let Some(err) = &opened.first_error {
        eprintln!("idle: {} connections failed: {err}", opened.failures);
    }
    let connected = opened.sockets.len();
    eprintln!("idle: holding {connected} connections for {hold:?}");
    tokio::time::sleep(hold).await;
    let rss_after_kib = rss_kib(args.pid)?;

    eprintln!("idle: checking every connection with one echo");
    let checks = stream::iter(opened.sockets)
        .map(still_open)
        .buffer_unordered(args.concurrency.max(1));
    let open: Vec<Socket> = checks.filter_map(|socket| async { socket }).collect().await;
    let connections_open = open.len();
    // Let the server see the connections go before it is measured again.
    stream::iter(open)
        .for_each_concurrent(args.concurrency.max(1), |socket| async {
            client::close(socket).await;
        })
        .await;

    let grown = rss_after_kib.saturating_sub(rss_before_kib) as f64;
    let figures = Figures {
        connected,
        connect_failures: opened.failures,
        rss_before_kib,
        rss_after_kib,
        kib_per_connection: round1(grown / connected.max(1) as f64),
        connections_open,
        all_held: connections_open == args.connections,
    };
    Ok(Report::new("idle", args, figures).into_value())
}

/// Sends one message on a held connection and waits for its echo; the
/// socket comes back if the echo did.
async fn still_open(mut socket: Socket) -> Option<Socket> {
    let check = async {
        socket.send(Message::text("still there?")).await.ok()?;
        client::next_data(&mut socket).await
    };
    match timeout(CHECK_TIMEOUT, check).await {
        Ok(Some(_)) => Some(socket),
        _ => None,
    }
}
