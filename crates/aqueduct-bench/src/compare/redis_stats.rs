//! What a run cost Redis: its CPU time and the commands it ran, read from
//! `INFO cpu` and `INFO commandstats` before and after the run.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::stats::round1;

/// Redis's counters at one moment.
#[derive(Debug)]
pub(super) struct Snapshot {
    at: Instant,
    /// `used_cpu_user + used_cpu_sys`, seconds.
    cpu_sec: f64,
    /// Calls by command, lower case (`evalsha`, `bzpopmin`, …).
    calls: BTreeMap<String, u64>,
}

impl Snapshot {
    /// Reads the counters of the Redis at `url`.
    pub(super) async fn take(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|err| err.to_string())?;
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|err| err.to_string())?;
        let (cpu, commands): (String, String) = redis::pipe()
            .cmd("INFO")
            .arg("cpu")
            .cmd("INFO")
            .arg("commandstats")
            .query_async(&mut conn)
            .await
            .map_err(|err| err.to_string())?;
        Ok(Self {
            at: Instant::now(),
            cpu_sec: field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys"),
            calls: calls(&commands),
        })
    }

    /// The figures of the time since `before`: `redis_cpu_sec`,
    /// `redis_cpu_pct` (of one core: Redis runs commands on one thread, so
    /// 100 is all it has) and `redis_<command>_calls` for each command that
    /// ran. The counts include commands that scripts call and the `INFO`s.
    pub(super) fn since(&self, before: &Self) -> Map<String, Value> {
        let cpu_sec = (self.cpu_sec - before.cpu_sec).max(0.0);
        let wall_sec = (self.at - before.at).as_secs_f64();
        let mut figures = Map::new();
        figures.insert("redis_cpu_sec".into(), round2(cpu_sec).into());
        let busy = if wall_sec > 0.0 {
            cpu_sec / wall_sec
        } else {
            0.0
        };
        figures.insert("redis_cpu_pct".into(), round1(busy * 100.0).into());
        for (command, &calls) in &self.calls {
            let delta = calls.saturating_sub(before.calls.get(command).copied().unwrap_or(0));
            if delta > 0 {
                figures.insert(format!("redis_{command}_calls"), delta.into());
            }
        }
        figures
    }
}

/// A `name:value` number of an `INFO` section; zero if absent.
fn field(info: &str, name: &str) -> f64 {
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The calls of each command in `INFO commandstats`, whose lines read
/// `cmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33,…`.
fn calls(info: &str) -> BTreeMap<String, u64> {
    info.lines()
        .filter_map(|line| {
            let (command, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|stat| stat.strip_prefix("calls="))?;
            // Subcommands read `config|get`; keep key-friendly names.
            Some((command.replace('|', "_"), calls.trim().parse().ok()?))
        })
        .collect()
}

/// Rounds to two decimals: CPU time is counted in milliseconds.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDSTATS: &str = "# Commandstats\r\n\
        cmdstat_evalsha:calls=120,usec=3400,usec_per_call=28.33,rejected_calls=0,failed_calls=0\r\n\
        cmdstat_config|get:calls=2,usec=10,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n\
        cmdstat_bzpopmin:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n";

    #[test]
    fn reads_info() {
        let cpu = "# CPU\r\nused_cpu_sys:1.50\r\nused_cpu_user:2.25\r\nused_cpu_sys_children:9\r\n";
        assert_eq!(field(cpu, "used_cpu_sys"), 1.5);
        assert_eq!(field(cpu, "used_cpu_user"), 2.25);
        assert_eq!(field(cpu, "used_cpu_nope"), 0.0);
        let calls = calls(COMMANDSTATS);
        let expected = [("bzpopmin", 7), ("config_get", 2), ("evalsha", 120)];
        let expected: BTreeMap<String, u64> = expected.map(|(name, n)| (name.to_owned(), n)).into();
        assert_eq!(calls, expected);
    }

    #[test]
    fn figures_are_deltas() {
        let at = Instant::now();
        let before = Snapshot {
            at,
            cpu_sec: 1.0,
            calls: calls(COMMANDSTATS),
        };
        let mut after_calls = calls(COMMANDSTATS);
        after_calls.insert("evalsha".into(), 150);
        after_calls.insert("zadd".into(), 4);
        let after = Snapshot {
            at: at + std::time::Duration::from_secs(2),
            cpu_sec: 2.5,
            calls: after_calls,
        };
        let figures = Value::Object(after.since(&before));
        let expected = serde_json::json!({
            "redis_cpu_sec": 1.5,
            "redis_cpu_pct": 75.0,
            "redis_evalsha_calls": 30,
            "redis_zadd_calls": 4,
        });
        assert_eq!(figures, expected);
    }
}
