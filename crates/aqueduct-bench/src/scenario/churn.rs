//! `churn`: whether the server gives back the memory of closed connections.

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::cycles::run_cycles;
use super::{CONNECT_CONCURRENCY, seconds};
use crate::client::Dialer;
use crate::error::Error;
use crate::report::Report;
use crate::rss::rss_kib;
use crate::stats::round1;

/// Options of `churn`: many connect-and-close cycles, with the server's
/// memory read before and after.
#[derive(Debug, Clone, Args, Serialize)]
pub struct ChurnArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8001/ws/echo/.
    #[arg(long)]
    pub url: String,
    /// Connect-and-close cycles measured.
    #[arg(long, default_value_t = 100_000)]
    pub cycles: u64,
    /// Cycles run before the first reading, so the allocator's pools are
    /// primed and only growth past them counts.
    #[arg(long, default_value_t = 5_000)]
    pub warmup_cycles: u64,
    /// Connections in flight at once.
    #[arg(long, default_value_t = CONNECT_CONCURRENCY)]
    pub concurrency: usize,
    /// Process id of the server, whose memory is measured.
    #[arg(long)]
    pub pid: u32,
    /// Seconds to wait after the cycles before the second reading.
    #[arg(long, default_value_t = 3.0)]
    pub settle: f64,
}

#[derive(Debug, Serialize)]
struct Figures {
    warmup_cycles_done: u64,
    handshakes: u64,
    failures: u64,
    rss_before_kib: u64,
    rss_after_kib: u64,
    rss_change_pct: f64,
}

/// Runs `churn` and returns its report.
pub(crate) async fn run(args: &ChurnArgs) -> Result<Value, Error> {
    let settle = seconds("settle", args.settle)?;
    Dialer::PLAIN.probe(&args.url).await?;
    let (url, concurrency) = (&args.url, args.concurrency);
    let warmup = run_cycles("churn warm-up", url, args.warmup_cycles, concurrency).await;
    tokio::time::sleep(settle).await;
    let rss_before_kib = rss_kib(args.pid)?;
    let cycles = run_cycles("churn", url, args.cycles, concurrency).await;
    if let Some(err) = &cycles.first_error {
        eprintln!("churn: {} handshakes failed: {err}", cycles.failures);
    }
    tokio::time::sleep(settle).await;
    let rss_after_kib = rss_kib(args.pid)?;

    let change = rss_after_kib as f64 - rss_before_kib as f64;
    let figures = Figures {
        warmup_cycles_done: warmup.ok,
        handshakes: cycles.ok,
        failures: cycles.failures,
        rss_before_kib,
        rss_after_kib,
        rss_change_pct: round1(100.0 * change / rss_before_kib.max(1) as f64),
    };
    Ok(Report::new("churn", args, figures).into_value())
}
