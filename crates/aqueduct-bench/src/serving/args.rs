//! The command lines of the servers under test.

use std::path::{Path, PathBuf};

use std::time::Duration;

use aqueduct::Overflow;
use clap::{Args, Parser};

/// `--addr HOST:PORT`, where a server under test listens: the only option
/// of the room baselines.
///
/// Port 0 asks the system for a free port; the ready line then tells which.
#[derive(Debug, Clone, Parser)]
#[command(about = "A server under test for aqueduct-bench.")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
}

/// `--tls-cert` and `--tls-key`: serve `wss://` (HTTP/1.1 over TLS) with
/// this certificate chain and private key, both PEM files.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// Serve TLS with the certificate chain in this PEM file.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert, a PEM file.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The certificate chain and key files, when TLS is asked for.
    pub fn pem_files(&self) -> Option<(&Path, &Path)> {
        Some((self.tls_cert.as_deref()?, self.tls_key.as_deref()?))
    }
}

/// The options of `bench-raw-echo`: `--addr`, and TLS if asked for.
#[derive(Debug, Clone, Parser)]
#[command(about = "The echo baseline for aqueduct-bench.")]
pub struct RawEchoArgs {
    /// Where to listen.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Whether to serve TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// The options of `bench-aqueduct`: the raw servers' `--addr`, the
/// channel layer to serve the chat route on, and TLS if asked for.
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
    /// What the channel layer does for a member whose channel is full:
    /// `close` (aqueduct's default), `drop` (Channels'), or `wait:MS`.
    #[arg(long, value_name = "POLICY", default_value = "close", value_parser = parse_overflow)]
    pub overflow: Overflow,
    /// Whether to serve TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// `close`, `drop` or `wait:MS` as an [`Overflow`].
fn parse_overflow(policy: &str) -> Result<Overflow, String> {
    match policy {
        "close" => Ok(Overflow::Close),
        "drop" => Ok(Overflow::Drop),
        _ => policy
            .strip_prefix("wait:")
            .and_then(|ms| ms.parse().ok())
            .map(|ms| Overflow::Wait(Duration::from_millis(ms)))
            .ok_or_else(|| format!("{policy:?} is not close, drop or wait:MS")),
    }
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

    #[test]
    fn overflow_policies() {
        let cases = [
            ("close", Some(Overflow::Close)),
            ("drop", Some(Overflow::Drop)),
            ("wait:250", Some(Overflow::Wait(Duration::from_millis(250)))),
            ("wait", None),
            ("keep", None),
        ];
        for (policy, expected) in cases {
            let argv = ["bench-aqueduct", "--overflow", policy];
            let parsed = AqueductArgs::try_parse_from(argv)
                .ok()
                .map(|args| args.overflow);
            assert_eq!(parsed, expected, "{policy}");
        }
        let default = AqueductArgs::parse_from(["bench-aqueduct"]);
        assert_eq!(default.overflow, Overflow::Close);
    }

    #[test]
    fn tls_takes_a_certificate_and_its_key_together() {
        let parse = |argv: &[&str]| {
            let args = RawEchoArgs::try_parse_from(["bench-raw-echo"].iter().chain(argv))?;
            let files = args
                .tls
                .pem_files()
                .map(|(cert, key)| (cert.to_owned(), key.to_owned()));
            Ok::<_, clap::Error>(files)
        };
        assert_eq!(parse(&[]).unwrap(), None);
        let both = parse(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        assert_eq!(both, Some(("c.pem".into(), "k.pem".into())));
        assert!(parse(&["--tls-cert", "c.pem"]).is_err());
        assert!(parse(&["--tls-key", "k.pem"]).is_err());
    }
}
