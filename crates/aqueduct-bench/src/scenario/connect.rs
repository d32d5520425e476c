//! `connect`: how fast the server completes WebSocket handshakes.

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::CONNECT_CONCURRENCY;
use super::cycles::run_cycles;
use crate::client::Dialer;
use crate::error::Error;
use crate::report::Report;
use crate::stats::{per_second, percentiles};

/// Options of `connect`: open and cleanly close many connections.
#[derive(Debug, Clone, Args, Serialize)]
pub struct ConnectArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8001/ws/echo/.
    #[arg(long)]
    pub url: String,
    /// Handshakes in all.
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = CONNECT_CONCURRENCY)]
    pub concurrency: usize,
}

#[derive(Debug, Serialize)]
struct Figures {
    handshakes: u64,
    failures: u64,
    unclean_closes: u64,
    handshakes_per_sec: f64,
    p50_us: u64,
    p99_us: u64,
}

/// Runs `connect` and returns its report.
pub(crate) async fn run(args: &ConnectArgs) -> Result<Value, Error> {
    Dialer::PLAIN.probe(&args.url).await?;
    let mut cycles = run_cycles("connect", &args.url, args.count, args.concurrency).await;
    if let Some(err) = &cycles.first_error {
        eprintln!("connect: {} handshakes failed: {err}", cycles.failures);
    }
    let latency = percentiles(&mut cycles.latencies_us);
    let figures = Figures {
        handshakes: cycles.ok,
        failures: cycles.failures,
        unclean_closes: cycles.unclean_closes,
        handshakes_per_sec: per_second(cycles.ok, cycles.elapsed.as_secs_f64()),
        p50_us: latency.p50,
        p99_us: latency.p99,
    };
    Ok(Report::new("connect", args, figures).into_value())
}
