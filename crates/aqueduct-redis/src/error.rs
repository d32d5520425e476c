//! Errors of the Redis layers.

use std::fmt;

/// Why a Redis layer could not be set up.
///
/// Every variant names the host or setting at fault, so the message alone
/// says what to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A host is not a `redis://`, `rediss://` or `unix://` URL that
    /// redis-rs understands.
    InvalidUrl {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A host did not answer when the layer connected.
    Unreachable {
        /// `host:port` of the server.
        host: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// A host refused the password or user in its URL.
    AuthenticationFailed {
        /// `host:port` of the server.
        host: String,
        /// What the server said.
        reason: String,
    },
    /// A setting has a value the layer cannot work with.
    InvalidSetting {
        /// The builder method at fault.
        setting: &'static str,
        /// What is wrong, and what to use instead.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => write!(
                f,
                "{url:?} is not a Redis URL ({reason}); write it as redis://[:password@]host[:port][/db] \
                 or rediss:// for TLS"
            ),
            Self::Unreachable { host, reason } => write!(
                f,
                "cannot reach Redis at {host}: {reason}; is redis-server running there?"
            ),
            Self::AuthenticationFailed { host, reason } => write!(
                f,
                "Redis at {host} refused the credentials in its URL: {reason}"
            ),
            Self::InvalidSetting { setting, reason } => write!(f, "{setting}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A Redis command that failed at run time, with the host it went to.
///
/// It travels inside [`LayerError::Backend`](aqueduct_core::LayerError), or
/// `LayerError::Unavailable` when the host is unreachable,
/// so redis-rs's error type stays out of the public API.
#[derive(Debug)]
pub(crate) struct BackendError {
    pub(crate) host: String,
    pub(crate) source: redis::RedisError,
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_outage(&self.source) {
            write!(f, "Redis at {} is unreachable: {}", self.host, self.source)
        } else {
            write!(f, "Redis at {} failed: {}", self.host, self.source)
        }
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Whether `err` means the server is gone, rather than that it refused one
/// command.
pub(crate) fn is_outage(err: &redis::RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_refusal()
        || err.is_connection_dropped()
        || err.is_timeout()
        || err.is_unrecoverable_error()
}
