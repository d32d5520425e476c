//! `RedisPubSubChannelLayer`: channels_redis's pub/sub layer, byte for byte.

mod local;
mod subscriber;

use std::fmt;
use std::sync::Arc;

use aqueduct_core::{
    ChannelLayer, Event, GroupSendReport, InMemoryChannelLayer, LayerError, Overflow,
    validate_channel_name, validate_group_name,
};
use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use self::local::Locals;
use self::subscriber::Subscriber;
use crate::buffers::{hand_to_channels, local_buffers, reading_policy};
use crate::config::RedisConfig;
use crate::crypto::Crypter;
use crate::error::ConfigError;
use crate::hash::consistent_hash;
use crate::shard::Shard;
use crate::wire::Wire;

/// A channel layer on Redis `PUBLISH` / `SUBSCRIBE` that speaks the
/// protocol of Python's `channels_redis.pubsub.RedisPubSubChannelLayer`,
/// for deployments that chose it over the core layer.
///
/// A channel is a Redis pub/sub channel of the same name, which
/// [`new_channel`](ChannelLayer::new_channel) makes as
/// `{prefix}{new_channel's prefix}.{uuid hex}` (`asgispecific.1f…`); a
/// group is the pub/sub channel `{prefix}__group__{group}`. Messages are
/// msgpack, Fernet-encrypted with
/// [`symmetric_encryption_key`](RedisConfig::symmetric_encryption_key),
/// with no random prefix; each name lives on the host its
/// channels_redis hash picks, so Python and aqueduct processes can share
/// one list of hosts.
///
/// ```no_run
/// use aqueduct_redis::{RedisConfig, RedisPubSubChannelLayer};
///
/// # async fn run() -> Result<(), aqueduct_redis::ConfigError> {
/// // Django: CHANNEL_LAYERS = {"default": {
/// //     "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
/// //     "CONFIG": {"hosts": ["redis://127.0.0.1:6379"]}}}
/// let layer = RedisPubSubChannelLayer::connect(
///     RedisConfig::new().host("redis://127.0.0.1:6379"),
/// )
/// .await?;
/// # drop(layer);
/// # Ok(())
/// # }
/// ```
///
/// # How it differs from [`RedisChannelLayer`](crate::RedisChannelLayer)
///
/// Redis keeps nothing: a message reaches the processes subscribed to its
/// channel when it is published, and is lost if none is.
///
/// - **Delivery** is at most once, and only while the reader's process is
///   subscribed: before `new_channel` returns, after `close_channel`, and
///   while the connection to Redis is down, messages are lost.
/// - **No capacity in Redis**, so [`send`](ChannelLayer::send) never
///   fails with `ChannelFull`. Each channel's buffer in its reader's
///   process holds `capacity` messages (100) for `expiry` (60 s); past
///   that, messages are dropped there, with a warning logged sparsely.
/// - **[`group_send`](ChannelLayer::group_send)'s report** cannot count
///   members in other processes: `delivered` is the number of
///   subscribers Redis handed the message to, that is, processes (Python
///   or aqueduct) with at least one member, and `over_capacity` is 0.
/// - **`group_add`** takes only channels read by this process (made by
///   its `new_channel` or received on), as channels_redis requires; a
///   group has no expiry, and a process leaves it when its last member
///   there leaves or closes.
/// - **A channel several processes receive on** (such as `"worker"`):
///   each of them gets every message, rather than one of them.
/// - **Ending a reader**: channels_redis unsubscribes when a `receive` is
///   cancelled; here `receive` stays cancel-safe and the subscription
///   lasts until [`close_channel`](ChannelLayer::close_channel), which
///   consumers call when they end.
/// - **Sends to this process's own channels** go through Redis too, as
///   in channels_redis, so they fail while it is down.
/// - **Outages**: `send` and `group_send` fail with a
///   [`LayerError::Unavailable`] naming the host; `new_channel`, `group_add`
///   and `group_discard` succeed, and take effect when the host is back.
///
/// # Connections
///
/// Each layer keeps two connections per host, whatever the number of
/// channels and groups: one that publishes and one subscribed to every
/// channel and group of this process on that host. After the subscribed
/// one drops, it connects again with back-off (100 ms doubling to 2 s)
/// and subscribes again to everything; receivers wait meanwhile and need
/// nothing done. Cloning gives another handle to the same layer.
#[derive(Clone)]
pub struct RedisPubSubChannelLayer {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    prefix: String,
    wire: Wire,
    shards: Vec<Shard>,
    /// One per shard, in the same order.
    subscribers: Vec<Subscriber>,
    locals: Locals,
    /// The queues this process's channels are read from.
    buffers: InMemoryChannelLayer,
    /// What a full buffer does with a message (`RedisConfig::overflow`).
    overflow: Overflow,
}

impl RedisPubSubChannelLayer {
    /// Makes a layer without talking to Redis yet: a host that is down is
    /// reported by the first `send` or `group_send` that needs it.
    ///
    /// Of the settings, hosts, prefix and keys are channels_redis.pubsub's;
    /// capacity and expiry bound this process's buffers (see above);
    /// group expiry and channel capacities do not apply.
    pub fn new(config: RedisConfig) -> Result<Self, ConfigError> {
        let shards = Shard::open_all(&config)?;
        let buffers = local_buffers(&config);
        Ok(Self {
            inner: Arc::new(Inner {
                prefix: config.prefix,
                // channels_redis.pubsub: no random prefix, and no ttl on
                // encrypted messages.
                wire: Wire::new(Crypter::new(&config.keys), 0, None),
                subscribers: shards.iter().map(|_| Subscriber::default()).collect(),
                shards,
                locals: Locals::default(),
                buffers,
                overflow: config.overflow,
            }),
        })
    }

    /// Makes a layer and checks that every host answers, with the
    /// credentials in its URL.
    pub async fn connect(config: RedisConfig) -> Result<Self, ConfigError> {
        let layer = Self::new(config)?;
        Shard::ping_all(&layer.inner.shards).await?;
        Ok(layer)
    }
}

impl Inner {
    /// channels_redis.pubsub's `_get_shard`: the hash of the pub/sub
    /// channel, which for a group includes the prefix.
    fn shard_of(&self, name: &str) -> usize {
        consistent_hash(name, self.shards.len())
    }

    fn group_channel(&self, group: &str) -> String {
        format!("{}__group__{group}", self.prefix)
    }

    /// Starts delivering `channel` here and subscribes to it.
    async fn open(self: &Arc<Self>, channel: &str) -> Result<(), LayerError> {
        if self.locals.open(channel) {
            self.sync(channel).await?;
        }
        Ok(())
    }

    /// `PUBLISH`es `message` on `name`; returns how many subscribers got it.
    async fn publish(&self, name: &str, message: Vec<u8>) -> Result<usize, LayerError> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(name).arg(message);
        self.shards[self.shard_of(name)]
            .run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    /// Hands a message published on `name` to the local channels it is for.
    async fn hand_on(&self, name: &str, bytes: &[u8]) {
        let targets = self.locals.targets(name);
        if targets.is_empty() {
            // Published just before an unsubscribe took effect.
            return;
        }
        let event = match self.wire.decode(bytes) {
            Ok((event, _)) => event,
            Err(err) => {
                tracing::warn!(channel = name, error = %err, "dropping a message read from Redis");
                return;
            }
        };
        hand_to_channels(
            &self.buffers,
            &targets,
            &event,
            reading_policy(self.overflow),
        )
        .await;
        for channel in targets {
            // The channel closed while the message was on its way: handing
            // it on made its buffer anew, and nobody would free it.
            if !self.locals.is_open(&channel) {
                let _ = self.buffers.close_channel(&channel).await;
            }
        }
    }
}

/// For `ProtocolTypeRouter::with_channel_layer`, which takes any
/// `Into<Arc<dyn ChannelLayer>>`.
impl From<RedisPubSubChannelLayer> for Arc<dyn ChannelLayer> {
    fn from(layer: RedisPubSubChannelLayer) -> Self {
        Arc::new(layer)
    }
}

#[async_trait]
impl ChannelLayer for RedisPubSubChannelLayer {
    /// Makes `{prefix}{prefix argument}.{uuid hex}` and subscribes to it
    /// before returning, as channels_redis.pubsub does.
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError> {
        // Python's default argument is "specific."; aqueduct's consumers
        // pass "specific".
        let dot = if prefix.ends_with('.') { "" } else { "." };
        let name = format!(
            "{}{prefix}{dot}{}",
            self.inner.prefix,
            uuid::Uuid::new_v4().simple()
        );
        validate_channel_name(&name)?;
        self.inner.open(&name).await?;
        Ok(name)
    }

    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        validate_channel_name(channel)?;
        let message = self.inner.wire.encode(&event);
        let heard = self.inner.publish(channel, message).await?;
        if heard == 0 {
            tracing::debug!(channel, "nobody is subscribed: the message is lost");
        }
        Ok(())
    }

    /// Subscribes to `channel` first if this process does not read it yet,
    /// as channels_redis.pubsub does.
    async fn receive(&self, channel: &str) -> Result<Event, LayerError> {
        validate_channel_name(channel)?;
        self.inner.open(channel).await?;
        self.inner.buffers.receive(channel).await
    }

    fn receiver<'a>(&'a self, channel: &'a str) -> BoxStream<'a, Result<Event, LayerError>> {
        let inner = &self.inner;
        if let Err(err) = validate_channel_name(channel) {
            return Box::pin(stream::once(async move { Err(err) }));
        }
        if inner.locals.is_open(channel) {
            return inner.buffers.receiver(channel);
        }
        let opened = async move {
            match inner.open(channel).await {
                Ok(()) => inner.buffers.receiver(channel),
                Err(err) => Box::pin(stream::once(async move { Err(err) })),
            }
        };
        Box::pin(stream::once(opened).flatten())
    }

    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let group = self.inner.group_channel(group);
        if self.inner.locals.join(&group, channel).is_err() {
            return Err(LayerError::InvalidChannelName {
                name: channel.to_owned(),
                reason: "the pub/sub layer adds to groups only channels this process reads, \
                         as channels_redis.pubsub does: pass the channel_name that this \
                         layer's new_channel made",
            });
        }
        self.inner.sync(&group).await
    }

    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let group = self.inner.group_channel(group);
        if !self.inner.locals.leave(&group, channel) {
            return Ok(());
        }
        self.inner.sync(&group).await
    }

    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError> {
        validate_group_name(group)?;
        let message = self.inner.wire.encode(&event);
        let heard = self
            .inner
            .publish(&self.inner.group_channel(group), message)
            .await?;
        Ok(GroupSendReport {
            delivered: heard,
            over_capacity: 0,
        })
    }

    /// As [`group_send`](ChannelLayer::group_send): `overflow` cannot
    /// travel with the message, which Redis hands to every subscribed
    /// process at once, so each reading process applies its own policy.
    async fn group_send_with(
        &self,
        group: &str,
        event: Event,
        _overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        self.group_send(group, event).await
    }

    /// Forgets every channel and group of this process and unsubscribes
    /// from them; Redis holds nothing else to delete.
    async fn flush(&self) -> Result<(), LayerError> {
        self.inner.locals.clear();
        self.inner.unsubscribe_all().await;
        self.inner.buffers.flush().await
    }

    /// Unsubscribes from `channel`, and from each of its groups that has
    /// no member left in this process.
    async fn close_channel(&self, channel: &str) -> Result<(), LayerError> {
        let inner = &self.inner;
        let groups = inner.locals.close(channel);
        inner.buffers.close_channel(channel).await?;
        inner.sync(channel).await?;
        for group in groups {
            inner.sync(&group).await?;
        }
        Ok(())
    }
}

impl fmt::Debug for RedisPubSubChannelLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPubSubChannelLayer")
            .field("shards", &self.inner.shards)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop();
    }
}
