//! The options of `compare`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The targets of issue 3, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Echo on `/ws/echo/`: aqueduct against bench-raw-echo.
    A,
    /// The chat route used as echo, one room per connection: aqueduct
    /// against bench-raw-room and against bench-plain-room; and the same
    /// route mounted in axum (bench-aqueduct-axum) against aqueduct's own
    /// server.
    B,
    /// Fan-out to one room at rising subscriber counts: aqueduct against
    /// bench-raw-room.
    C,
    /// Memory per idle connection, then the most connections aqueduct holds.
    D,
    /// Handshakes per second.
    E,
    /// Memory after many connect-and-close cycles.
    F,
    /// The chat route as echo (as b) on `RedisChannelLayer`: aqueduct
    /// against Django Channels on channels_redis, and against Redis's own
    /// unpipelined rate, by redis-benchmark.
    G,
    /// Fan-out to one room over two aqueduct processes on one Redis:
    /// against one aqueduct process on the in-memory layer (and Django on
    /// channels_redis).
    H,
    /// Echo on `/ws/echo/` over TLS (HTTP/1.1): aqueduct against
    /// bench-raw-echo behind tokio-rustls, with a self-signed certificate
    /// made for the run.
    I,
    /// A chat room flooded with 4 KiB messages while a client reads as fast
    /// as it can (issue 10, item 7): aqueduct, whose reader gets every
    /// message or is closed with 4013, and aqueduct with `--overflow
    /// wait:1000`, against aqueduct with `--overflow drop`, Channels'
    /// silent loss.
    J,
}

/// Options of `compare`: run every target of issue 3 against fresh servers.
///
/// Every figure has a default (shrunk about tenfold by `--quick`) that its
/// own option overrides.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Shrink durations and counts about tenfold, for a smoke run.
    #[arg(long)]
    pub quick: bool,
    /// Directory of bench-aqueduct and the baselines' binaries
    /// [default: the directory of this executable].
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Runs of targets a, b, e, f, g, h, i and j whose median is reported
    /// [default: 3, or 1 with --quick].
    #[arg(long)]
    pub repeat: Option<usize>,
    /// Command that serves Django Channels on `{addr}` (HOST:PORT) and
    /// prints `listening on HOST:PORT`, e.g. "bench/django/serve.sh {addr}";
    /// adds Django to targets a, b and c.
    #[arg(long)]
    pub django_cmd: Option<String>,
    /// The Redis of targets g and h; each run's servers get a key prefix of
    /// their own on it, deleted after the run.
    #[arg(long, value_name = "URL", default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
    /// Targets to run, e.g. `a,c` or `g,h` [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Target>,

    /// a, b, i: connections [default: 64].
    #[arg(long)]
    pub echo_connections: Option<usize>,
    /// a, b, i: payload bytes [default: 32].
    #[arg(long)]
    pub echo_size: Option<usize>,
    /// a, b, i: seconds measured [default: 10, quick 1].
    #[arg(long)]
    pub echo_duration: Option<f64>,
    /// a, b, i: seconds of warm-up [default: 2, quick 0.2].
    #[arg(long)]
    pub echo_warmup: Option<f64>,
    /// c: subscriber counts [default: 1000,2000,5000,10000; quick 100,200,500,1000].
    #[arg(long, value_delimiter = ',')]
    pub fanout_subscribers: Vec<usize>,
    /// c: messages per second [default: 20].
    #[arg(long)]
    pub fanout_rate: Option<f64>,
    /// c: seconds of publishing [default: 10, quick 1].
    #[arg(long)]
    pub fanout_duration: Option<f64>,
    /// c: bytes per message [default: 32].
    #[arg(long)]
    pub fanout_size: Option<usize>,
    /// d: idle connections compared [default: 10000, quick 1000].
    #[arg(long)]
    pub idle_connections: Option<usize>,
    /// d: connections aqueduct is then asked to hold [default: 19000, quick 1900].
    #[arg(long)]
    pub idle_max_connections: Option<usize>,
    /// d: seconds to hold before measuring [default: 5, quick 0.5].
    #[arg(long)]
    pub idle_hold: Option<f64>,
    /// e: handshakes [default: 10000, quick 1000].
    #[arg(long)]
    pub connect_count: Option<u64>,
    /// d, e, f: handshakes in flight at once [default: 64].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// f: connect-and-close cycles [default: 100000, quick 10000].
    #[arg(long)]
    pub churn_cycles: Option<u64>,
    /// f: warm-up cycles before the first reading [default: 5000, quick 500].
    #[arg(long)]
    pub churn_warmup: Option<u64>,
    /// f: seconds to settle before each reading [default: 3, quick 1].
    #[arg(long)]
    pub churn_settle: Option<f64>,
    /// g: requests per command of redis-benchmark [default: 100000, quick 10000].
    #[arg(long)]
    pub redis_requests: Option<u64>,
    /// h: subscribers, split over the two processes [default: 1000, quick 100].
    #[arg(long)]
    pub redis_fanout_subscribers: Option<usize>,
    /// j: messages flooded into the room [default: 20000, quick 2000].
    #[arg(long)]
    pub flood_count: Option<u64>,
}
