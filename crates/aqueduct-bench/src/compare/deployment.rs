//! What a run measures: one server, two aqueduct processes sharing a
//! Redis, or Redis itself; started fresh for each run and stopped after.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aqueduct::ChannelLayer;
use aqueduct::redis::{RedisChannelLayer, RedisConfig};

use super::certificate::SelfSigned;
use crate::error::Error;
use crate::servers::ServerProcess;
use crate::sockets::{redis_port, tcp_connections_to};

/// The servers a target can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Server {
    /// bench-aqueduct on the in-memory layer.
    Aqueduct,
    /// bench-aqueduct with `--overflow drop`: Channels' silent drop.
    AqueductDrop,
    /// bench-aqueduct with `--overflow wait:1000`: back-pressure on the sender.
    AqueductWait,
    /// bench-aqueduct-axum: the same application mounted in an
    /// `axum::Router`, served by `axum::serve`.
    AqueductAxum,
    RawEcho,
    RawRoom,
    /// bench-plain-room: a room server written the plain way.
    PlainRoom,
    /// Django Channels on Daphne, on Channels' in-memory layer.
    Django,
    /// bench-aqueduct on `RedisChannelLayer`.
    AqueductRedis,
    /// Two bench-aqueduct processes on `RedisChannelLayer`, one prefix.
    AqueductRedisPair,
    /// Django Channels on Daphne, on channels_redis.
    DjangoRedis,
    /// No server: Redis itself, measured by `redis-benchmark`.
    Redis,
    /// bench-raw-echo over TLS.
    RawEchoTls,
    /// bench-aqueduct over TLS.
    AqueductTls,
}

impl Server {
    fn binary(self) -> Option<&'static str> {
        match self {
            Self::Aqueduct
            | Self::AqueductDrop
            | Self::AqueductWait
            | Self::AqueductRedis
            | Self::AqueductRedisPair
            | Self::AqueductTls => Some("bench-aqueduct"),
            Self::AqueductAxum => Some("bench-aqueduct-axum"),
            Self::RawEcho | Self::RawEchoTls => Some("bench-raw-echo"),
            Self::RawRoom => Some("bench-raw-room"),
            Self::PlainRoom => Some("bench-plain-room"),
            Self::Django | Self::DjangoRedis | Self::Redis => None,
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Aqueduct => "aqueduct",
            Self::AqueductDrop => "aqueduct-drop",
            Self::AqueductWait => "aqueduct-wait",
            Self::AqueductAxum => "aqueduct-axum",
            Self::RawEcho => "raw-echo",
            Self::RawRoom => "raw-room",
            Self::PlainRoom => "plain-room",
            Self::Django => "django",
            Self::AqueductRedis => "aqueduct-redis",
            Self::AqueductRedisPair => "aqueduct-redis-x2",
            Self::DjangoRedis => "django-redis",
            Self::Redis => "redis",
            Self::RawEchoTls => "raw-echo-tls",
            Self::AqueductTls => "aqueduct-tls",
        }
    }

    /// Whether the run talks to the Redis, so that its load on Redis is
    /// worth reading.
    pub(super) fn uses_redis(self) -> bool {
        matches!(
            self,
            Self::AqueductRedis | Self::AqueductRedisPair | Self::DjangoRedis
        )
    }

    /// Whether the server serves TLS, with the launcher's certificate.
    fn uses_tls(self) -> bool {
        matches!(self, Self::RawEchoTls | Self::AqueductTls)
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How to start each kind of server.
#[derive(Debug)]
pub(super) struct Launcher {
    bin_dir: PathBuf,
    django_cmd: Option<String>,
    redis: String,
    /// Runs on Redis so far, for a fresh prefix each.
    redis_runs: AtomicUsize,
    /// What the TLS servers serve with, once a target has made it.
    certificate: Option<SelfSigned>,
}

impl Launcher {
    /// Finds the server binaries in `bin_dir`, or next to this executable.
    pub(super) fn new(
        bin_dir: Option<PathBuf>,
        django_cmd: Option<String>,
        redis: String,
    ) -> Result<Self, Error> {
        let bin_dir = match bin_dir {
            Some(dir) => dir,
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(PathBuf::from))
                .unwrap_or_default(),
        };
        let binaries = [
            Server::Aqueduct,
            Server::AqueductAxum,
            Server::RawEcho,
            Server::RawRoom,
            Server::PlainRoom,
        ];
        for server in binaries {
            let path = bin_dir.join(server.binary().unwrap_or_default());
            if !path.is_file() {
                return Err(Error::Server {
                    server: path.display().to_string(),
                    reason: "not found; build it with `cargo build --release -p aqueduct-bench` or pass --bin-dir".into(),
                });
            }
        }
        Ok(Self {
            bin_dir,
            django_cmd,
            redis,
            redis_runs: AtomicUsize::new(0),
            certificate: None,
        })
    }

    /// Gives the TLS servers `certificate` from now on; the clients of
    /// their runs trust it.
    pub(super) fn use_certificate(&mut self, certificate: SelfSigned) {
        self.certificate = Some(certificate);
    }

    /// Whether Django can be started.
    pub(super) fn has_django(&self) -> bool {
        self.django_cmd.is_some()
    }

    /// Starts `server`, on a prefix of its own if it uses Redis.
    pub(super) async fn start(&self, server: Server) -> Result<Deployment, Error> {
        let redis = server.uses_redis().then(|| RedisRun {
            url: self.redis.clone(),
            prefix: self.fresh_prefix(),
        });
        let tls_ca = match (server.uses_tls(), &self.certificate) {
            (false, _) => None,
            (true, Some(certificate)) => Some(certificate.cert_path()),
            (true, None) => return Err(Error::Usage(format!("{server} needs a certificate"))),
        };
        let mut deployment = Deployment {
            server,
            processes: Vec::new(),
            redis,
            redis_url: self.redis.clone(),
            tls_ca,
        };
        let copies = match server {
            Server::AqueductRedisPair => 2,
            Server::Redis => 0,
            _ => 1,
        };
        for _ in 0..copies {
            match self.start_one(server, deployment.redis.as_ref()).await {
                Ok(process) => deployment.processes.push(process),
                Err(err) => {
                    deployment.stop().await;
                    return Err(err);
                }
            }
        }
        Ok(deployment)
    }

    async fn start_one(
        &self,
        server: Server,
        redis: Option<&RedisRun>,
    ) -> Result<ServerProcess, Error> {
        if let Some(binary) = server.binary() {
            let mut args = match redis {
                Some(run) => vec![
                    "--redis".to_owned(),
                    run.url.clone(),
                    "--redis-prefix".to_owned(),
                    run.prefix.clone(),
                ],
                None => Vec::new(),
            };
            let overflow = match server {
                Server::AqueductDrop => Some("drop"),
                Server::AqueductWait => Some("wait:1000"),
                _ => None,
            };
            if let Some(overflow) = overflow {
                args.extend(["--overflow".to_owned(), overflow.to_owned()]);
            }
            if let Some(certificate) = self.certificate.as_ref().filter(|_| server.uses_tls()) {
                args.extend([
                    "--tls-cert".to_owned(),
                    certificate.cert_path().display().to_string(),
                    "--tls-key".to_owned(),
                    certificate.key_path().display().to_string(),
                ]);
            }
            return ServerProcess::binary(&self.bin_dir.join(binary), &args).await;
        }
        let Some(command) = &self.django_cmd else {
            return Err(Error::Usage("no --django-cmd given".into()));
        };
        // bench/django/baseline/settings.py switches to channels_redis on these.
        let env = match redis {
            Some(run) => vec![
                ("CHANNELS_REDIS_URL", run.url.clone()),
                ("CHANNELS_REDIS_PREFIX", run.prefix.clone()),
            ],
            None => Vec::new(),
        };
        ServerProcess::shell(server.label(), command, &env).await
    }

    /// A key prefix no other run has used: `aqbench-<pid>-<n>-`. The last
    /// dash keeps run 1's keys apart from run 10's when its keys are
    /// deleted by pattern.
    fn fresh_prefix(&self) -> String {
        let run = self.redis_runs.fetch_add(1, Ordering::Relaxed) + 1;
        format!("aqbench-{}-{run}-", std::process::id())
    }
}

/// The Redis a run uses and the prefix its keys are under.
#[derive(Debug, Clone)]
struct RedisRun {
    url: String,
    prefix: String,
}

/// The processes of one run.
#[derive(Debug)]
pub(super) struct Deployment {
    server: Server,
    processes: Vec<ServerProcess>,
    redis: Option<RedisRun>,
    redis_url: String,
    /// The certificate a TLS server presents, for its clients to trust.
    tls_ca: Option<PathBuf>,
}

impl Deployment {
    /// What runs.
    pub(super) fn server(&self) -> Server {
        self.server
    }

    /// A WebSocket URL on the first process, `wss://` if it serves TLS.
    pub(super) fn url(&self, path: &str) -> String {
        self.processes
            .first()
            .map(|process| process.url(self.scheme(), path))
            .unwrap_or_default()
    }

    /// The same URL on every other process.
    pub(super) fn other_urls(&self, path: &str) -> Vec<String> {
        let others = self.processes.iter().skip(1);
        others
            .map(|process| process.url(self.scheme(), path))
            .collect()
    }

    fn scheme(&self) -> &'static str {
        if self.tls_ca.is_some() { "wss" } else { "ws" }
    }

    /// The certificate to trust for this run's `wss://` URLs, if it serves TLS.
    pub(super) fn tls_ca(&self) -> Option<PathBuf> {
        self.tls_ca.clone()
    }

    /// The first process's id, whose memory `idle` and `churn` read.
    pub(super) fn pid(&self) -> u32 {
        self.processes.first().map_or(0, ServerProcess::pid)
    }

    /// The TCP connections the processes hold to the Redis, in all; `None`
    /// if `/proc` cannot tell.
    pub(super) fn redis_connections(&self) -> Option<usize> {
        let port = redis_port(&self.redis_url);
        let pids = self.processes.iter().flat_map(ServerProcess::pids);
        let counts = pids.map(|pid| {
            tcp_connections_to(pid, port)
                .map_err(|err| eprintln!("cannot count the connections of {pid}: {err}"))
                .ok()
        });
        counts.sum()
    }

    /// The Redis of this comparison, whether or not this run uses it.
    pub(super) fn redis_url(&self) -> &str {
        &self.redis_url
    }

    /// Stops every process, then deletes the run's keys from Redis, so
    /// that a day's memberships (the group expiry) do not pile up there.
    pub(super) async fn stop(self) {
        for process in self.processes {
            process.stop().await;
        }
        let Some(run) = self.redis else { return };
        let config = RedisConfig::new()
            .hosts(run.url.split(','))
            .prefix(&run.prefix);
        let flushed = match RedisChannelLayer::new(config) {
            Ok(layer) => layer.flush().await.map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        };
        if let Err(err) = flushed {
            eprintln!("could not delete the keys under {}: {err}", run.prefix);
        }
    }
}
