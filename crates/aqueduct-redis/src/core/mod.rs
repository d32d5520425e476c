//! `RedisChannelLayer`: channels_redis's core layer, byte for byte.

mod group_send;
mod local;
mod named;
mod reader;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aqueduct_core::{
    ChannelLayer, Event, GroupSendReport, InMemoryChannelLayer, LayerError, Overflow,
    validate_channel_name, validate_group_name,
};
use async_trait::async_trait;
use futures_util::stream::BoxStream;
use tokio::task::JoinHandle;

use self::local::LocalChannels;
use crate::buffers::local_buffers;
use crate::config::RedisConfig;
use crate::crypto::Crypter;
use crate::error::ConfigError;
use crate::hash::consistent_hash;
use crate::scripts;
use crate::shard::Shard;
use crate::wire::{CORE_PREFIX_LEN, Wire};

/// A channel layer on Redis that speaks the protocol of Python's
/// `channels_redis.core.RedisChannelLayer` 4.x, so a Django Channels
/// project and aqueduct processes can share channels and groups.
///
/// Messages, keys, scores, capacity checks and shards are channels_redis's
/// own; see the channel layers guide for the settings to match on both
/// sides. Cloning gives another handle to the same layer.
///
/// ```no_run
/// use aqueduct_redis::{RedisChannelLayer, RedisConfig};
///
/// # async fn run() -> Result<(), aqueduct_redis::ConfigError> {
/// let layer = RedisChannelLayer::connect(
///     RedisConfig::new().host("redis://127.0.0.1:6379"),
/// )
/// .await?;
/// # drop(layer);
/// # Ok(())
/// # }
/// ```
///
/// Each process keeps one shared connection per Redis host for commands,
/// and one more per host for the loop that reads its channels, however
/// many connections it serves. Messages from one of its consumers to
/// another of the same process are handed over in the process; membership
/// is still read from Redis.
///
/// # Several hosts, shared with channels_redis
///
/// Groups and process-local channels live on the host channels_redis
/// picks for them, so both can share a ring listed in the same order.
/// channels_redis's own `send` to a process-local channel hashes the whole
/// name, while readers listen on the host of the part up to `!`
/// (channels_redis#221). This layer reads its channels on every host, so
/// it receives such messages wherever they land, and its `send` uses the
/// reader's host. A Python process still misses a Python `send` to one of
/// its own process-local channels whose two hashes differ, and its
/// `receive` on a named channel watches one host per call.
#[derive(Clone)]
pub struct RedisChannelLayer {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    prefix: String,
    expiry: Duration,
    group_expiry: Duration,
    capacities: aqueduct_core::Capacities,
    /// What a group send does for a full member (see `RedisConfig::overflow`).
    overflow: Overflow,
    wire: Wire,
    shards: Vec<Shard>,
    /// Names this process's channels: `specific.<client_prefix>!…`.
    client_prefix: String,
    /// The queues this process's channels are read from.
    buffers: InMemoryChannelLayer,
    local: LocalChannels,
    /// The loops reading this process's keys, by non-local name.
    readers: Mutex<HashMap<String, Vec<JoinHandle<()>>>>,
    /// channels_redis sends to named channels round-robin over the hosts.
    next_send: AtomicUsize,
    /// And this process receives from them in turn.
    next_receive: AtomicUsize,
    /// Pops on named channels whose receive was dropped.
    parked: named::ParkedPops,
}

impl RedisChannelLayer {
    /// Makes a layer without talking to Redis yet: a host that is down is
    /// reported by the first operation that needs it, naming the host.
    pub fn new(config: RedisConfig) -> Result<Self, ConfigError> {
        let shards = Shard::open_all(&config)?;
        // channels_redis lets an encrypted message be its expiry plus 10 s old.
        let ttl = config.expiry.as_secs() + 10;
        let wire = Wire::new(Crypter::new(&config.keys), CORE_PREFIX_LEN, Some(ttl));
        let buffers = local_buffers(&config);
        Ok(Self {
            inner: Arc::new(Inner {
                prefix: config.prefix,
                expiry: config.expiry,
                group_expiry: config.group_expiry,
                capacities: config.capacities,
                overflow: config.overflow,
                wire,
                shards,
                client_prefix: uuid::Uuid::new_v4().simple().to_string(),
                buffers,
                local: LocalChannels::default(),
                readers: Mutex::default(),
                next_send: AtomicUsize::new(0),
                next_receive: AtomicUsize::new(0),
                parked: named::ParkedPops::default(),
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

/// Seconds since the epoch, as Python's `time.time()`: channels_redis
/// scores messages and memberships with it.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The part of a process-local channel name that one process reads,
/// `!` included: `specific.abc!def` → `specific.abc!`.
fn non_local_name(channel: &str) -> Option<&str> {
    channel.find('!').map(|bang| &channel[..=bang])
}

impl Inner {
    fn channel_key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn group_key(&self, group: &str) -> String {
        format!("{}:group:{group}", self.prefix)
    }

    fn shard_of(&self, name: &str) -> usize {
        consistent_hash(name, self.shards.len())
    }

    /// Whether `channel` is read by this process.
    fn is_ours(&self, channel: &str) -> bool {
        non_local_name(channel).is_some_and(|head| {
            head.strip_suffix('!')
                .is_some_and(|head| head.ends_with(&*self.client_prefix))
        })
    }

    /// `send`s `event` to one of this process's channels without a trip
    /// through Redis: a full one refuses it, and the sender is told.
    async fn deliver(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        if !self.local.is_open(channel) {
            tracing::debug!(channel, "dropping a message for a channel that has closed");
            return Ok(());
        }
        self.buffers.send(channel, event).await
    }

    /// The score below which a message has expired.
    fn prune_before(&self, now: f64, expiry: Duration) -> i64 {
        // channels_redis: `int(time.time()) - int(expiry)`.
        now as i64 - expiry.as_secs() as i64
    }
}

/// For `ProtocolTypeRouter::with_channel_layer`, which takes any
/// `Into<Arc<dyn ChannelLayer>>`.
impl From<RedisChannelLayer> for Arc<dyn ChannelLayer> {
    fn from(layer: RedisChannelLayer) -> Self {
        Arc::new(layer)
    }
}

#[async_trait]
impl ChannelLayer for RedisChannelLayer {
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError> {
        let inner = &self.inner;
        let name = format!(
            "{prefix}.{}!{}",
            inner.client_prefix,
            uuid::Uuid::new_v4().simple()
        );
        validate_channel_name(&name)?;
        inner.local.open(&name);
        reader::ensure(&self.inner, &name);
        Ok(name)
    }

    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        validate_channel_name(channel)?;
        let inner = &self.inner;
        if inner.is_ours(channel) {
            return inner.deliver(channel, event).await;
        }
        let (key, shard, message) = match non_local_name(channel) {
            // The shard of the part its reader listens on: channels_redis
            // hashes the whole name here, and its readers then miss it.
            Some(head) => (
                inner.channel_key(head),
                inner.shard_of(head),
                inner.wire.encode_to(&event, channel)?,
            ),
            None => (
                inner.channel_key(channel),
                inner.next_send.fetch_add(1, Ordering::Relaxed) % inner.shards.len(),
                inner.wire.encode(&event),
            ),
        };
        let now = now();
        let mut invocation = scripts::SEND.key(key);
        invocation
            .arg(message)
            .arg(now)
            .arg(inner.prune_before(now, inner.expiry))
            .arg(inner.capacities.for_channel(channel))
            .arg(inner.expiry.as_secs());
        let queued: i64 = inner.shards[shard]
            .run(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await?;
        if queued == 0 {
            return Err(LayerError::ChannelFull {
                channel: channel.to_owned(),
            });
        }
        Ok(())
    }

    async fn receive(&self, channel: &str) -> Result<Event, LayerError> {
        validate_channel_name(channel)?;
        if non_local_name(channel).is_none() {
            return named::receive(&self.inner, channel).await;
        }
        self.inner.check_ours(channel)?;
        self.inner.local.open(channel);
        reader::ensure(&self.inner, channel);
        self.inner.buffers.receive(channel).await
    }

    fn receiver<'a>(&'a self, channel: &'a str) -> BoxStream<'a, Result<Event, LayerError>> {
        let inner = &self.inner;
        let local = validate_channel_name(channel).and_then(|()| {
            non_local_name(channel)
                .map(|_| inner.check_ours(channel))
                .transpose()
        });
        match local {
            Ok(Some(())) => {
                inner.local.open(channel);
                reader::ensure(inner, channel);
                inner.buffers.receiver(channel)
            }
            Ok(None) => named::receiver(inner, channel),
            Err(err) => Box::pin(futures_util::stream::once(async move { Err(err) })),
        }
    }

    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let inner = &self.inner;
        let key = inner.group_key(group);
        let mut pipe = redis::pipe();
        pipe.zadd(&key, channel, now())
            .ignore()
            .expire(&key, inner.group_expiry.as_secs() as i64)
            .ignore();
        inner.shards[inner.shard_of(group)]
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await?;
        if inner.is_ours(channel) {
            inner.local.joined(channel, group);
        }
        Ok(())
    }

    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let inner = &self.inner;
        inner.local.left(channel, group);
        let key = inner.group_key(group);
        let mut cmd = redis::cmd("ZREM");
        cmd.arg(key).arg(channel);
        inner.shards[inner.shard_of(group)]
            .run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await
    }

    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError> {
        self.group_send_with(group, event, self.inner.overflow)
            .await
    }

    /// `overflow` applies to this process's own members, and to other
    /// processes' Redis keys, which `Wait` retries until they have room;
    /// a key still full cannot tell its reader, and is logged instead.
    async fn group_send_with(
        &self,
        group: &str,
        event: Event,
        overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        validate_group_name(group)?;
        let members = self.inner.members(group).await?;
        self.inner
            .send_to_members(group, &members, event, overflow)
            .await
    }

    async fn flush(&self) -> Result<(), LayerError> {
        let inner = &self.inner;
        let pattern = format!("{}*", inner.prefix);
        for shard in &inner.shards {
            let mut invocation = scripts::FLUSH.prepare_invoke();
            invocation.arg(&pattern);
            shard
                .run(|mut conn| async move { invocation.invoke_async::<i64>(&mut conn).await })
                .await?;
        }
        inner.parked.clear();
        inner.buffers.flush().await?;
        // Bug: flush closed this process's channels, so later messages to them were dropped.
        inner.local.forget_groups();
        Ok(())
    }

    async fn close_channel(&self, channel: &str) -> Result<(), LayerError> {
        self.inner.local.close(channel);
        self.inner.buffers.close_channel(channel).await
    }
}

impl Inner {
    /// Refuses a process-local channel that another process reads.
    fn check_ours(&self, channel: &str) -> Result<(), LayerError> {
        if self.is_ours(channel) {
            return Ok(());
        }
        Err(LayerError::InvalidChannelName {
            name: channel.to_owned(),
            reason: "this process-local channel belongs to another process; \
                     receive only on names this layer's new_channel made",
        })
    }

    /// The group's live members, dropping memberships past the group expiry.
    async fn members(&self, group: &str) -> Result<Vec<String>, LayerError> {
        let mut invocation = scripts::MEMBERS.key(self.group_key(group));
        invocation.arg(self.prune_before(now(), self.group_expiry));
        self.shards[self.shard_of(group)]
            .run(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await
    }
}

impl fmt::Debug for RedisChannelLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("RedisChannelLayer")
            .field("shards", &inner.shards)
            .field("prefix", &inner.prefix)
            .field("client_prefix", &inner.client_prefix)
            .field("expiry", &inner.expiry)
            .field("group_expiry", &inner.group_expiry)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let readers = self.readers.get_mut().unwrap_or_else(|p| p.into_inner());
        readers.values().flatten().for_each(JoinHandle::abort);
    }
}
