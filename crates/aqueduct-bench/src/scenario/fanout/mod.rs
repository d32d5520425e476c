//! `fanout`: one publisher, many subscribers, one room.

mod ledger;
mod publisher;
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use self::ledger::Ledger;
use self::subscriber::Finished;
use super::{CONNECT_CONCURRENCY, seconds};
use crate::client;
use crate::error::Error;
use crate::report::Report;
use crate::stats::{p50_p99, per_second};

/// How long after connecting before publishing, so every group join has
/// settled.
const SETTLE: Duration = Duration::from_millis(500);

/// A message the last subscriber gets later than this means the server is
/// not keeping up.
const KEEPS_UP_US: u64 = 1_000_000;

/// Options of `fanout`: subscribers in one chat room and a publisher in the
/// same room sending at a fixed rate.
#[derive(Debug, Clone, Args, Serialize)]
pub struct FanoutArgs {
    /// WebSocket URL of the room, e.g. ws://127.0.0.1:8000/ws/chat/bench/.
    #[arg(long)]
    pub url: String,
    /// Subscriber connections.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: usize,
    /// Messages per second the publisher sends.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Seconds the publisher sends for.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Bytes of text per message, sequence number and timestamp included.
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Seconds to wait for late deliveries after the publisher stops.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
}

#[derive(Debug, Serialize)]
struct Figures {
    subscribers_connected: usize,
    connect_failures: usize,
    sent: u64,
    expected_deliveries: u64,
    deliveries: u64,
    lost: u64,
    deliveries_per_sec: f64,
    p50_us: u64,
    p99_us: u64,
    last_p50_us: u64,
    last_p99_us: u64,
    keeps_up: bool,
}

/// Runs `fanout` and returns its report.
pub(crate) async fn run(args: &FanoutArgs) -> Result<Value, Error> {
    let duration = seconds("duration", args.duration)?;
    let drain = seconds("drain", args.drain)?;
    if args.rate.is_nan() || args.rate <= 0.0 {
        return Err(Error::Usage("--rate must be above 0".into()));
    }
    let period = Duration::from_secs_f64(1.0 / args.rate);
    let total = (args.rate * duration.as_secs_f64()).round().max(1.0) as u64;

    client::probe(&args.url).await?;
    let started = Instant::now();
    let urls = vec![args.url.clone(); args.subscribers];
    let opened = client::connect_many("fanout", urls, CONNECT_CONCURRENCY).await;
    if let Some(err) = &opened.first_error {
        eprintln!(
            "fanout: {} subscribers failed to connect: {err}",
            opened.failures
        );
    }
    let connected = opened.sockets.len();
    eprintln!("fanout: {connected} subscribers in {:?}", started.elapsed());
    let publisher = client::connect(&args.url)
        .await
        .map_err(|reason| Error::Unreachable {
            url: args.url.clone(),
            reason,
        })?;
    tokio::time::sleep(SETTLE).await;

    let epoch = Instant::now();
    let ledger = Arc::new(Ledger::new(usize::try_from(total).unwrap_or(usize::MAX)));
    let (finish, finished) = watch::channel(None);
    let subscribers: Vec<_> = opened
        .sockets
        .into_iter()
        .map(|socket| {
            let task = subscriber::subscribe(socket, epoch, ledger.clone(), finished.clone());
            tokio::spawn(task)
        })
        .collect();
    eprintln!(
        "fanout: publishing {total} messages at {} per second",
        args.rate
    );
    let published = publisher::publish(publisher, total, period, args.size, epoch).await;
    let _ = finish.send(Some(Finished {
        sent: published.sent,
        drain_until: Instant::now() + drain,
    }));

    let mut latencies_us = Vec::new();
    for subscriber in subscribers {
        latencies_us.extend(subscriber.await.unwrap_or_default());
    }
    Ok(Report::new(
        "fanout",
        args,
        figures(
            connected,
            opened.failures,
            &published,
            &ledger,
            latencies_us,
        ),
    )
    .into_value())
}

fn figures(
    connected: usize,
    connect_failures: usize,
    published: &publisher::Published,
    ledger: &Ledger,
    mut latencies_us: Vec<u64>,
) -> Figures {
    let sent = published.sent;
    let expected_deliveries = sent * connected as u64;
    let deliveries = latencies_us.len() as u64;
    let lost = expected_deliveries.saturating_sub(deliveries);
    let (p50_us, p99_us) = p50_p99(&mut latencies_us);
    let (last_p50_us, last_p99_us) = p50_p99(&mut ledger.last_arrivals_us(sent));
    Figures {
        subscribers_connected: connected,
        connect_failures,
        sent,
        expected_deliveries,
        deliveries,
        lost,
        deliveries_per_sec: per_second(deliveries, published.window.as_secs_f64()),
        p50_us,
        p99_us,
        last_p50_us,
        last_p99_us,
        keeps_up: lost == 0 && connect_failures == 0 && last_p99_us < KEEPS_UP_US,
    }
}
