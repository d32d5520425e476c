//! Redis channel layers for aqueduct, wire-compatible with Python's
//! `channels_redis`: a Django Channels project and aqueduct processes on
//! the same Redis share channels and groups.
//!
//! - [`RedisChannelLayer`]: `channels_redis.core.RedisChannelLayer`, with
//!   capacities, expiry, sharding over several hosts and Fernet encryption.
//! - [`RedisPubSubChannelLayer`]: `channels_redis.pubsub.RedisPubSubChannelLayer`, on
//!   Redis pub/sub: nothing stored, no capacity, messages lost while nobody
//!   is subscribed.
//! - [`RedisConfig`]: the settings, named as in channels_redis's `CONFIG`.
//!
//! ```no_run
//! use aqueduct_redis::{RedisChannelLayer, RedisConfig};
//!
//! # fn run() -> Result<(), aqueduct_redis::ConfigError> {
//! // Django: CHANNEL_LAYERS = {"default": {
//! //     "BACKEND": "channels_redis.core.RedisChannelLayer",
//! //     "CONFIG": {"hosts": ["redis://127.0.0.1:6379"]}}}
//! let layer = RedisChannelLayer::new(RedisConfig::new().host("redis://127.0.0.1:6379"))?;
//! # drop(layer);
//! # Ok(())
//! # }
//! ```

mod buffers;
mod config;
mod core;
mod crypto;
mod error;
mod hash;
mod pubsub;
mod scripts;
mod shard;
mod sharded;
mod wire;

pub use crate::config::RedisConfig;
pub use crate::core::RedisChannelLayer;
pub use crate::error::ConfigError;
pub use crate::pubsub::RedisPubSubChannelLayer;
