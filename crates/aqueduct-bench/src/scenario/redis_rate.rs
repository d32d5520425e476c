//! `redis-rate`: Redis's own rate, unpipelined, by `redis-benchmark`: the
//! floor a channel layer on that Redis is measured against.

use clap::Args;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::process::Command;

use crate::error::Error;
use crate::report::Report;
use crate::stats::{median, round1};

/// Options of `redis-rate`: runs `redis-benchmark -q` against one Redis,
/// one request in flight per client (no pipelining).
#[derive(Debug, Clone, Args, Serialize)]
pub struct RedisRateArgs {
    /// The Redis to measure.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
    /// Requests per command.
    #[arg(long, default_value_t = 100_000)]
    pub requests: u64,
    /// Clients, each with one request in flight (redis-benchmark's default).
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// redis-benchmark's commands: a channel layer's messages are sorted-set
    /// writes and pops, and SET is the figure people quote.
    #[arg(long, default_value = "set,zadd,zpopmin")]
    pub tests: String,
}

/// Runs `redis-benchmark` and returns its report: `<command>_per_sec` for
/// each command, `ops_per_sec` the median of them, and `half_ops_per_sec`.
pub(crate) async fn run(args: &RedisRateArgs) -> Result<Value, Error> {
    let fail = |reason: String| Error::Server {
        server: "redis-benchmark".into(),
        reason,
    };
    let output = Command::new("redis-benchmark")
        .args(["-u", &args.redis, "-q", "-t", &args.tests])
        .args(["-n", &args.requests.to_string()])
        .args(["-c", &args.clients.to_string()])
        .output()
        .await
        .map_err(|err| fail(format!("{err}; is redis-benchmark installed?")))?;
    // redis-benchmark leaves its keys behind in the Redis it measured, which
    // may be someone's: take them away again.
    let _ = Command::new("redis-cli")
        .args(["-u", &args.redis, "DEL", "key:__rand_int__", "myzset"])
        .output()
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rates = parse(&stdout);
    if !output.status.success() || rates.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!("{}: {stdout}{stderr}", output.status)));
    }
    let median = median(&mut rates.iter().map(|(_, rate)| *rate).collect::<Vec<_>>());
    let mut figures = Map::new();
    for (command, rate) in rates {
        figures.insert(format!("{command}_per_sec"), round1(rate).into());
    }
    figures.insert("ops_per_sec".into(), round1(median).into());
    figures.insert("half_ops_per_sec".into(), round1(median / 2.0).into());
    Ok(Report::new("redis-rate", args, figures).into_value())
}

/// The `(command, requests per second)` of each final line of
/// `redis-benchmark -q`, e.g. `SET: 86206.90 requests per second, p50=…`;
/// the progress lines between carriage returns are skipped.
fn parse(output: &str) -> Vec<(String, f64)> {
    output
        .split(['\r', '\n'])
        .filter_map(|line| {
            let (command, rest) = line.split_once(": ")?;
            let (rate, _) = rest.split_once(" requests per second")?;
            Some((command.trim().to_lowercase(), rate.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_final_lines() {
        let output = "SET: rps=0.0 (overall: nan) avg_msec=nan (overall: nan)\r\
                      SET: 86206.90 requests per second, p50=0.295 msec\n\
                      ZADD: rps=51234.0 (overall: 51234.0)\r\
                      ZADD: 53276.50 requests per second, p50=0.583 msec\n\
                      \n";
        let expected = vec![("set".to_owned(), 86206.9), ("zadd".to_owned(), 53276.5)];
        assert_eq!(parse(output), expected);
        assert_eq!(parse("Could not connect to Redis at 127.0.0.1:1"), vec![]);
    }
}
