//! Every figure of a `compare` run, settled from defaults, `--quick` and
//! the options given.

use serde::Serialize;

use super::args::CompareArgs;

/// What a `compare` run will do.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Plan {
    pub(super) quick: bool,
    pub(super) repeat: usize,
    pub(super) echo_connections: usize,
    pub(super) echo_size: usize,
    pub(super) echo_duration: f64,
    pub(super) echo_warmup: f64,
    pub(super) fanout_subscribers: Vec<usize>,
    pub(super) fanout_rate: f64,
    pub(super) fanout_duration: f64,
    pub(super) fanout_size: usize,
    pub(super) fanout_drain: f64,
    pub(super) idle_connections: usize,
    pub(super) idle_max_connections: usize,
    pub(super) idle_hold: f64,
    pub(super) connect_count: u64,
    pub(super) concurrency: usize,
    pub(super) churn_cycles: u64,
    pub(super) churn_warmup: u64,
    pub(super) churn_settle: f64,
    pub(super) redis: String,
    pub(super) redis_requests: u64,
    pub(super) redis_fanout_subscribers: usize,
    pub(super) flood_count: u64,
}

impl Plan {
    pub(super) fn new(args: &CompareArgs) -> Self {
        let quick = args.quick;
        let fanout_subscribers = match args.fanout_subscribers.is_empty() {
            false => args.fanout_subscribers.clone(),
            true => pick(
                quick,
                vec![1000, 2000, 5000, 10_000],
                vec![100, 200, 500, 1000],
            ),
        };
        Self {
            quick,
            repeat: args.repeat.unwrap_or(pick(quick, 3, 1)).max(1),
            echo_connections: args.echo_connections.unwrap_or(64),
            echo_size: args.echo_size.unwrap_or(32),
            echo_duration: args.echo_duration.unwrap_or(pick(quick, 10.0, 1.0)),
            echo_warmup: args.echo_warmup.unwrap_or(pick(quick, 2.0, 0.2)),
            fanout_subscribers,
            fanout_rate: args.fanout_rate.unwrap_or(20.0),
            fanout_duration: args.fanout_duration.unwrap_or(pick(quick, 10.0, 1.0)),
            fanout_size: args.fanout_size.unwrap_or(32),
            fanout_drain: pick(quick, 5.0, 2.0),
            idle_connections: args.idle_connections.unwrap_or(pick(quick, 10_000, 1000)),
            idle_max_connections: args
                .idle_max_connections
                .unwrap_or(pick(quick, 19_000, 1900)),
            idle_hold: args.idle_hold.unwrap_or(pick(quick, 5.0, 0.5)),
            connect_count: args.connect_count.unwrap_or(pick(quick, 10_000, 1000)),
            concurrency: args.concurrency.unwrap_or(64),
            churn_cycles: args.churn_cycles.unwrap_or(pick(quick, 100_000, 10_000)),
            churn_warmup: args.churn_warmup.unwrap_or(pick(quick, 5000, 500)),
            churn_settle: args.churn_settle.unwrap_or(pick(quick, 3.0, 1.0)),
            redis: args.redis.clone(),
            redis_requests: args.redis_requests.unwrap_or(pick(quick, 100_000, 10_000)),
            redis_fanout_subscribers: args
                .redis_fanout_subscribers
                .unwrap_or(pick(quick, 1000, 100)),
            flood_count: args.flood_count.unwrap_or(pick(quick, 20_000, 2_000)),
        }
    }
}

/// The full figure, or about a tenth of it for a smoke run.
fn pick<T>(quick: bool, full: T, smoke: T) -> T {
    if quick { smoke } else { full }
}
