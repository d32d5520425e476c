//! One Redis host: a shared connection for commands, dedicated ones for
//! blocking pops, and whether it is reachable.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aqueduct_core::LayerError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisError};

use crate::config::{RedisConfig, redact};
use crate::error::{BackendError, ConfigError, is_outage};

/// How long a command may take before its connection is deemed dead.
/// redis-rs's default (500 ms) is shorter than a large `group_send` can
/// take on a busy server.
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a blocking pop waits before it is asked again, as
/// channels_redis's `brpop_timeout`.
pub(crate) const BLOCK_SECONDS: u64 = 5;

/// One Redis server of the ring.
pub(crate) struct Shard {
    /// `host:port`, for messages.
    pub(crate) host: String,
    client: Client,
    /// Made on first use: redis-rs spawns a task for it, which needs the
    /// runtime that a layer built in `main` may not be running in yet.
    commands: OnceLock<ConnectionManager>,
    /// Set while the host is known to be unreachable, so an outage is
    /// logged once, not once per message.
    down: AtomicBool,
    /// Blocking connections between two receives on named channels.
    idle: Mutex<Vec<MultiplexedConnection>>,
}

/// How many idle blocking connections a host keeps for named channels.
const IDLE_BLOCKING: usize = 8;

impl Shard {
    pub(crate) fn open(url: &str, tls_root: Option<&[u8]>) -> Result<Self, ConfigError> {
        let invalid = |err: RedisError| ConfigError::InvalidUrl {
            url: redact(url),
            reason: err.to_string(),
        };
        let client = match tls_root {
            Some(pem) if url.starts_with("rediss://") => {
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                };
                Client::build_with_tls(url, certificates).map_err(invalid)?
            }
            _ => Client::open(url).map_err(invalid)?,
        };
        let host = client.get_connection_info().addr().to_string();
        Ok(Self {
            host,
            client,
            commands: OnceLock::new(),
            down: AtomicBool::new(false),
            idle: Mutex::default(),
        })
    }

    /// The servers of `config`'s hosts, in its order, once its settings
    /// are checked.
    pub(crate) fn open_all(config: &RedisConfig) -> Result<Vec<Self>, ConfigError> {
        config.check()?;
        config
            .host_urls()
            .iter()
            .map(|url| Self::open(url, config.tls_root.as_deref()))
            .collect()
    }

    /// Checks that every host answers, for a layer that connects eagerly.
    pub(crate) async fn ping_all(shards: &[Self]) -> Result<(), ConfigError> {
        for shard in shards {
            shard.ping().await?;
        }
        Ok(())
    }

    /// Checks that the host answers, for a layer that connects eagerly.
    pub(crate) async fn ping(&self) -> Result<(), ConfigError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|err| self.config_error(err))?;
        // Bug fixed here: a server that wants a password, given none, lets
        // the connection in and refuses the PING with NOAUTH; that was
        // reported as "cannot reach Redis" instead of as the credentials.
        redis::cmd("PING")
            .query_async::<()>(&mut conn)
            .await
            .map_err(|err| self.config_error(err))
    }

    fn config_error(&self, err: RedisError) -> ConfigError {
        let host = self.host.clone();
        let reason = err.to_string();
        if err.kind() == redis::ErrorKind::AuthenticationFailed
            || reason.contains("WRONGPASS")
            || reason.contains("NOAUTH")
        {
            ConfigError::AuthenticationFailed { host, reason }
        } else {
            ConfigError::Unreachable { host, reason }
        }
    }

    /// Runs `command` on the shared connection, which reconnects by itself
    /// after a failure.
    pub(crate) async fn run<T, F, Fut>(&self, command: F) -> Result<T, LayerError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let result = match self.commands() {
            Ok(conn) => command(conn).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(value) => {
                self.up();
                Ok(value)
            }
            Err(err) => Err(self.failed(err)),
        }
    }

    fn commands(&self) -> Result<ConnectionManager, RedisError> {
        if let Some(conn) = self.commands.get() {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // Fail a command soon in an outage rather than retry for
            // seconds: the caller gets its error, and the next command
            // tries again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        Ok(self.commands.get_or_init(|| conn).clone())
    }

    /// A connection of its own, for a blocking pop that would stall every
    /// command sharing it.
    pub(crate) async fn blocking_connection(&self) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            // The pop answers within BLOCK_SECONDS; no answer well after
            // that means the connection is dead.
            .set_response_timeout(Some(Duration::from_secs(BLOCK_SECONDS) + RESPONSE_TIMEOUT));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// A connection of its own for `SUBSCRIBE`, as the pub/sub layer
    /// keeps one per host: a subscribed connection runs no other command.
    pub(crate) async fn pubsub_connection(&self) -> Result<redis::aio::PubSub, RedisError> {
        match tokio::time::timeout(CONNECTION_TIMEOUT, self.client.get_async_pubsub()).await {
            Ok(connected) => connected,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no pub/sub connection within the connection timeout",
            )
            .into()),
        }
    }

    /// A blocking connection for one receive on a named channel: an idle
    /// one if there is, else a new one.
    pub(crate) async fn take_blocking(&self) -> Result<MultiplexedConnection, RedisError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.blocking_connection().await,
        }
    }

    /// Keeps a blocking connection for the next receive, up to a few.
    pub(crate) fn give_back(&self, conn: MultiplexedConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_BLOCKING {
            idle.push(conn);
        }
    }

    /// Records a failure: an outage is logged once, when it begins.
    pub(crate) fn failed(&self, err: RedisError) -> LayerError {
        let outage = is_outage(&err);
        let err = BackendError {
            host: self.host.clone(),
            source: err,
        };
        if !outage {
            tracing::warn!(error = %err, "Redis command failed");
            return LayerError::Backend(Box::new(err));
        }
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %err,
                "Redis is unreachable: sends fail and receivers wait until it is back"
            );
        }
        LayerError::Unavailable(Box::new(err))
    }

    /// Records a success: the end of an outage is logged once.
    pub(crate) fn up(&self) {
        if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(host = %self.host, "Redis is reachable again");
        }
    }
}

/// How long to wait before connecting again: 100 ms, doubling to 2 s, so
/// a restarted Redis is found within 2 s.
#[derive(Default)]
pub(crate) struct Backoff {
    tries: u32,
}

impl Backoff {
    pub(crate) fn next(&mut self) -> Duration {
        let delay = Duration::from_millis(100) * 2u32.pow(self.tries.min(5));
        self.tries += 1;
        delay.min(Duration::from_secs(2))
    }
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("host", &self.host)
            .field("down", &self.down.load(Ordering::Relaxed))
            .finish()
    }
}
