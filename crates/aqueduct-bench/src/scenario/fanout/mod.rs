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
use crate::client::Dialer;
use crate::error::Error;
use crate::report::Report;
use crate::stats::{per_second, percentiles, round1};

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
    /// The publisher connects here.
    #[arg(long)]
    pub url: String,
    /// The same room on other servers sharing one channel layer (e.g. two
    /// processes on one Redis): subscribers are dealt out in turn over
    /// `--url` and these. Repeat the option for each server.
    #[arg(long = "also-url")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_urls: Vec<String>,
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
    /// deliveries ÷ expected_deliveries, in percent.
    delivered_pct: f64,
    deliveries_per_sec: f64,
    p50_us: u64,
    p90_us: u64,
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

    Dialer::PLAIN.probe(&args.url).await?;
    let started = Instant::now();
    let urls = subscriber_urls(args);
    let opened = Dialer::PLAIN
        .connect_many("fanout", urls, CONNECT_CONCURRENCY)
        .await;
    if let Some(err) = &opened.first_error {
        eprintln!(
            "fanout: {} subscribers failed to connect: {err}",
            opened.failures
        );
    }
    let connected = opened.sockets.len();
    eprintln!("fanout: {connected} subscribers in {:?}", started.elapsed());
    let publisher =
        Dialer::PLAIN
            .connect(&args.url)
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

/// The URL of each subscriber: `--url` and the `--also-url`s in turn, so
/// every server gets its share, the first one the odd subscriber out.
fn subscriber_urls(args: &FanoutArgs) -> Vec<String> {
    let servers: Vec<&String> = std::iter::once(&args.url).chain(&args.also_urls).collect();
    (0..args.subscribers)
        .map(|index| servers[index % servers.len()].clone())
        .collect()
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
    let latency = percentiles(&mut latencies_us);
    let last = percentiles(&mut ledger.last_arrivals_us(sent));
    Figures {
        subscribers_connected: connected,
        connect_failures,
        sent,
        expected_deliveries,
        deliveries,
        lost,
        delivered_pct: match expected_deliveries {
            0 => 0.0,
            expected => round1(deliveries as f64 / expected as f64 * 100.0),
        },
        deliveries_per_sec: per_second(deliveries, published.window.as_secs_f64()),
        p50_us: latency.p50,
        p90_us: latency.p90,
        p99_us: latency.p99,
        last_p50_us: last.p50,
        last_p99_us: last.p99,
        keeps_up: lost == 0 && connect_failures == 0 && last.p99 < KEEPS_UP_US,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(subscribers: usize, also_urls: &[&str]) -> FanoutArgs {
        FanoutArgs {
            url: "a".into(),
            also_urls: also_urls.iter().map(|&url| url.to_owned()).collect(),
            subscribers,
            rate: 20.0,
            duration: 1.0,
            size: 32,
            drain: 1.0,
        }
    }

    #[test]
    fn subscribers_are_dealt_out_over_the_servers() {
        let cases: [(usize, &[&str], &[&str]); 4] = [
            (3, &[], &["a", "a", "a"]),
            (4, &["b"], &["a", "b", "a", "b"]),
            (5, &["b", "c"], &["a", "b", "c", "a", "b"]),
            (0, &["b"], &[]),
        ];
        for (subscribers, also, expected) in cases {
            assert_eq!(
                subscriber_urls(&args(subscribers, also)),
                expected,
                "{also:?}"
            );
        }
    }
}
