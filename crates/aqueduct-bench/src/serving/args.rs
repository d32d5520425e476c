//! The command lines of the servers under test.

use clap::Parser;

/// `--addr HOST:PORT`, the only option of a raw server under test.
///
/// Port 0 asks the system for a free port; the ready line then tells which.
#[derive(Debug, Clone, Parser)]
#[command(about = "A server under test for aqueduct-bench.")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
}

/// The options of `bench-aqueduct`: the raw servers' `--addr`, and the
/// channel layer to serve the chat route on.
#[derive(Debug, Clone, Parser)]
#[command(about = "aqueduct under test for aqueduct-bench.")]
pub struct AqueductArgs {
    /// Where to listen.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Serve the chat route on `RedisChannelLayer` at this Redis (a
    /// comma-separated list means shards) instead of the in-memory layer.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// channels_redis's `prefix` for the Redis layer's keys [default: asgi].
    #[arg(long, value_name = "PREFIX", requires = "redis")]
    pub redis_prefix: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aqueduct_takes_a_redis_and_its_prefix() {
        let cases: [(&[&str], Option<&str>, Option<&str>); 3] = [
            (&[], None, None),
            (&["--redis", "redis://h:1"], Some("redis://h:1"), None),
            (
                &["--redis", "redis://h:1", "--redis-prefix", "p-"],
                Some("redis://h:1"),
                Some("p-"),
            ),
        ];
        for (argv, redis, prefix) in cases {
            let args = AqueductArgs::parse_from(["bench-aqueduct"].iter().chain(argv));
            assert_eq!(args.redis.as_deref(), redis, "{argv:?}");
            assert_eq!(args.redis_prefix.as_deref(), prefix, "{argv:?}");
            assert_eq!(args.server.addr, "127.0.0.1:0");
        }
        let prefix_alone = ["bench-aqueduct", "--redis-prefix", "p-"];
        assert!(AqueductArgs::try_parse_from(prefix_alone).is_err());
    }
}
