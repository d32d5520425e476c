//! Settings of the Redis layers, with channels_redis's names and defaults.

use std::fmt;
use std::time::Duration;

use aqueduct_core::{Capacities, Overflow};

use crate::error::ConfigError;

/// The host channels_redis uses when it is given none.
const DEFAULT_HOST: &str = "redis://localhost:6379";

/// Settings of a [`RedisChannelLayer`](crate::RedisChannelLayer) or a
/// [`RedisPubSubChannelLayer`](crate::RedisPubSubChannelLayer), named and
/// defaulted as channels_redis's `CONFIG`.
///
/// Hosts are URLs: `redis://[user:password@]host[:port][/db]`, `rediss://`
/// for TLS, `unix:///path/to/redis.sock`. Several hosts are shards, in
/// channels_redis's `hosts` order: every process sharing them must list
/// them in the same order.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_core::Overflow;
/// use aqueduct_redis::RedisConfig;
///
/// let config = RedisConfig::new()
///     .host("redis://127.0.0.1:6379/0")
///     .prefix("asgi")
///     .expiry(Duration::from_secs(60))
///     .group_expiry(Duration::from_secs(86_400))
///     .capacity(100)
///     .channel_capacity("http.request", 200)
///     .symmetric_encryption_key("a secret shared with the Django settings")
///     .overflow(Overflow::Close);
/// # drop(config);
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) hosts: Vec<String>,
    pub(crate) prefix: String,
    pub(crate) expiry: Duration,
    pub(crate) group_expiry: Duration,
    pub(crate) capacities: Capacities,
    pub(crate) keys: Vec<String>,
    pub(crate) tls_root: Option<Vec<u8>>,
    pub(crate) overflow: Overflow,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            hosts: Vec::new(),
            prefix: "asgi".to_owned(),
            expiry: Duration::from_secs(60),
            group_expiry: Duration::from_secs(86_400),
            capacities: Capacities::new(100),
            keys: Vec::new(),
            tls_root: None,
            overflow: Overflow::Close,
        }
    }
}

impl RedisConfig {
    /// Settings with channels_redis's defaults: host
    /// `redis://localhost:6379`, prefix `asgi`, expiry 60 s, group expiry
    /// 86400 s, capacity 100, no encryption.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a Redis server. Several are shards, in channels_redis's
    /// `hosts` order.
    pub fn host(mut self, url: impl Into<String>) -> Self {
        self.hosts.push(url.into());
        self
    }

    /// Uses these Redis servers, in this order, instead of any added before.
    pub fn hosts<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hosts = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the prefix of every key the layer writes (default `asgi`).
    /// Processes that share channels and groups must share it.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long an unread message lives (default 60 s). Redis counts
    /// in whole seconds.
    pub fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    /// Sets how long a group membership lives without being refreshed by
    /// `group_add` (default 86400 s).
    pub fn group_expiry(mut self, group_expiry: Duration) -> Self {
        self.group_expiry = group_expiry;
        self
    }

    /// Sets how many unread messages a channel holds (default 100).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacities.set_default(capacity);
        self
    }

    /// Sets the capacity of channels whose name matches `pattern`, a glob
    /// as in channels_redis's `channel_capacity`. The first pattern added
    /// that matches wins.
    pub fn channel_capacity(mut self, pattern: impl Into<String>, capacity: usize) -> Self {
        self.capacities.push(pattern.into(), capacity);
        self
    }

    /// Sets what a group send does for a member whose channel is full
    /// (default [`Overflow::Close`]); not a channels_redis setting, and
    /// nothing on the wire changes with it.
    ///
    /// It applies where this process can act: to its own channels, when
    /// it hands them a message (sent by any process, Python's included);
    /// and, for its own group sends, to the Redis keys of other processes,
    /// which `Wait` waits on. A process that reads a message off Redis
    /// never waits for one of its channels, since one loop reads them
    /// all: there `Wait` is `Close`. A Redis key found full cannot tell
    /// its reader, in another process, of the miss: the sender counts it
    /// and logs a WARN (see the channel layers guide).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Adds a key of channels_redis's `symmetric_encryption_keys`. The
    /// first key added encrypts; every key decrypts, so a new key can be
    /// rolled out first in second place, then moved to the front.
    pub fn symmetric_encryption_key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// Trusts the certificate authority in `pem` for `rediss://` hosts,
    /// instead of the system's roots: for a Redis whose certificate a
    /// private authority signed.
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root = Some(pem.into());
        self
    }

    /// The host URLs, the default one if none was given.
    pub(crate) fn host_urls(&self) -> Vec<String> {
        if self.hosts.is_empty() {
            vec![DEFAULT_HOST.to_owned()]
        } else {
            self.hosts.clone()
        }
    }

    /// Checks the settings that Redis could not work with.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let whole = |setting, duration: Duration| {
            if duration < Duration::from_secs(1) {
                return Err(ConfigError::InvalidSetting {
                    setting,
                    reason: format!(
                        "{duration:?} is under a second, and Redis expires keys in whole seconds; \
                         use at least Duration::from_secs(1)"
                    ),
                });
            }
            Ok(())
        };
        whole("expiry", self.expiry)?;
        whole("group_expiry", self.group_expiry)?;
        Ok(())
    }
}

impl fmt::Debug for RedisConfig {
    // Hosts may carry passwords and keys are secrets: print neither.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self.host_urls().iter().map(|url| redact(url)).collect();
        f.debug_struct("RedisConfig")
            .field("hosts", &hosts)
            .field("prefix", &self.prefix)
            .field("expiry", &self.expiry)
            .field("group_expiry", &self.group_expiry)
            .field("capacities", &self.capacities)
            .field("symmetric_encryption_keys", &self.keys.len())
            .field("tls_root_certificate", &self.tls_root.is_some())
            .field("overflow", &self.overflow)
            .finish()
    }
}

/// `url` with the password, if any, replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://***@{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        let table = [
            ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
            ("rediss://user:pw@h", "rediss://user:***@h"),
            ("redis://pw@h", "redis://***@h"),
            ("redis://h:6379", "redis://h:6379"),
            ("not a url", "not a url"),
        ];
        for (url, shown) in table {
            assert_eq!(redact(url), shown);
        }
        let config = RedisConfig::new()
            .host("redis://:hunter2@h")
            .symmetric_encryption_key("topsecret");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("topsecret"),
            "{debug}"
        );
    }

    #[test]
    fn sub_second_expiries_are_refused_with_a_fix() {
        let err = RedisConfig::new()
            .expiry(Duration::from_millis(500))
            .check()
            .unwrap_err();
        assert!(
            err.to_string().contains("at least Duration::from_secs(1)"),
            "{err}"
        );
        assert!(RedisConfig::new().check().is_ok());
    }
}
