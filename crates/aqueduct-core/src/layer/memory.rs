//! The in-memory channel layer: one process, no service to run.

mod config;
mod deliver;
mod queue;
mod receiver;

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream};
use rand::Rng;
use tokio::time::Instant;

pub use self::config::InMemoryConfig;
use self::queue::{Pop, Push, Queue, WhenFull};
use self::receiver::QueueReceiver;
use super::{
    ChannelLayer, GroupSendReport, LayerError, Overflow, validate_channel_name, validate_group_name,
};
use crate::event::Event;
use crate::support::log_skipped;

/// Shards keep one busy channel or group from serializing all the others.
const SHARDS: usize = 16;

// The shards are read-write locks, and every message takes them for reading
// only: a `group_send` reads its group's members and looks each member's
// queue up by name. With mutexes, a worker thread preempted while holding a
// shard (on two cores shared with the load generator, for a whole time
// slice) stalled every other worker that touched the same shard: counted on
// the chat route, 19 of 1.5 million acquisitions waited, most of them over
// 100 us and six over 1 ms, up to 7.5 ms: one of the two causes of the p99
// tail target b showed with two workers and not with one (the other is in
// the consumer's run loop, `ParkedWaker`). Readers never wait for readers,
// so a preempted reader now delays only a `group_add`, `group_discard` or
// new channel on the same shard, which happen once per connection, not once
// per message.

/// Every send hashes a few channel and group names; with SipHash, std's
/// default, that was 5% of the server's work on the chat route. foldhash is
/// seeded per process, so names a client picks cannot be chosen to collide.
type RandomState = foldhash::quality::RandomState;
type HashMap<K, V> = std::collections::HashMap<K, V, RandomState>;
type HashSet<T> = std::collections::HashSet<T, RandomState>;

/// A channel layer within one process, as Channels' `InMemoryChannelLayer`.
///
/// Channels and groups are sharded, each channel is a bounded queue, and a
/// group send hands every member a clone of one encoded message. Cloning the
/// layer gives another handle to the same channels and groups.
///
/// ```
/// use aqueduct_core::{ChannelLayer, Event, InMemoryChannelLayer, LayerError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let layer = InMemoryChannelLayer::new();
/// let event = Event::new("ping", &serde_json::json!({}))?;
/// for _ in 0..100 {
///     layer.send("worker", event.clone()).await?;
/// }
/// assert!(matches!(layer.send("worker", event).await, Err(LayerError::ChannelFull { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct InMemoryChannelLayer {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    config: InMemoryConfig,
    hasher: RandomState,
    channels: [RwLock<HashMap<Arc<str>, Arc<Queue>>>; SHARDS],
    groups: [RwLock<HashMap<String, Members>>; SHARDS],
    sweeps: SweepClock,
}

/// When the next sweep is due, readable without a lock: every send asks.
struct SweepClock {
    epoch: Instant,
    /// Milliseconds after `epoch` at which the next sweep may run.
    next_ms: AtomicU64,
}

impl Default for SweepClock {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            next_ms: AtomicU64::new(0),
        }
    }
}

impl SweepClock {
    /// Returns whether the caller should sweep now; only one caller per
    /// period is told yes.
    fn claim(&self, now: Instant, period: Duration) -> bool {
        let now_ms = now.saturating_duration_since(self.epoch).as_millis() as u64;
        let due = self.next_ms.load(Ordering::Relaxed);
        if now_ms < due {
            return false;
        }
        let next = now_ms.saturating_add(period.as_millis() as u64);
        self.next_ms
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// A group's members, each with when it was last added.
type Members = HashMap<Arc<str>, Instant>;

/// A shard, for looking up. A poisoned lock only means another thread
/// panicked mid-operation; the maps stay structurally valid, so keep serving.
fn read<T>(shard: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    shard
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A shard, for changing (see [`read`] on poisoning).
fn write<T>(shard: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    shard
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl InMemoryChannelLayer {
    /// Creates a layer with Channels' defaults: capacity 100, expiry 60 s,
    /// group expiry 86400 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands `event` to `channels` under `overflow`, as a group send to
    /// them would (see `__private::deliver_locally`).
    pub(crate) async fn send_to_channels<S: AsRef<str>>(
        &self,
        channels: &[S],
        event: &Event,
        overflow: Overflow,
    ) -> GroupSendReport {
        let now = Instant::now();
        self.inner.maybe_sweep(now);
        self.inner
            .send_to_channels(channels, event, overflow, now)
            .await
    }

    /// Creates a layer with the given settings.
    pub fn with_config(config: InMemoryConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }
}

impl Inner {
    fn shard(&self, name: &str) -> usize {
        (self.hasher.hash_one(name) as usize) % SHARDS
    }

    /// The queue of `channel`, made on first use.
    fn queue(&self, channel: &str) -> Arc<Queue> {
        let shard = &self.channels[self.shard(channel)];
        if let Some(queue) = read(shard).get(channel) {
            return queue.clone();
        }
        // Another thread may have made it between the two locks.
        write(shard)
            .entry(Arc::from(channel))
            .or_insert_with(|| Arc::new(Queue::new(self.config.capacities.for_channel(channel))))
            .clone()
    }

    /// Channels drops a channel from every group once a message to it
    /// expires: its reader is evidently gone.
    fn remove_from_groups(&self, channel: &str) {
        for shard in &self.groups {
            let mut groups = write(shard);
            groups.retain(|_, members| {
                members.remove(channel);
                !members.is_empty()
            });
        }
    }

    /// The live members of `group`. Expired memberships are skipped here
    /// and freed by the sweep, so a send only ever reads the shard.
    fn members(&self, group: &str, now: Instant) -> Vec<Arc<str>> {
        let expiry = self.config.group_expiry;
        let groups = read(&self.groups[self.shard(group)]);
        let Some(members) = groups.get(group) else {
            return Vec::new();
        };
        members
            .iter()
            .filter(|&(_, added)| now - *added < expiry)
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    /// Waits for what `queue`, the queue of `channel`, has for its reader
    /// next: an event, or a report of misses; `None` if the queue was
    /// retired meanwhile.
    async fn receive_from(
        &self,
        queue: &Queue,
        channel: &str,
    ) -> Option<Result<Event, LayerError>> {
        loop {
            // Register for a wake-up before looking, so a push between the
            // look and the wait is not missed.
            let notified = queue.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.pop(queue, channel) {
                Pop::Event(event) => return Some(Ok(event)),
                Pop::Missed(missed) => return Some(Err(overflowed(channel, missed))),
                Pop::Retired => return None,
                Pop::Empty => notified.await,
            }
        }
    }

    /// Takes what `queue`, the queue of `channel`, has next, and drops the
    /// channel from its groups if one of its messages had expired.
    fn pop(&self, queue: &Queue, channel: &str) -> Pop {
        let (pop, expired) = queue.pop(self.config.expiry);
        if expired {
            self.remove_from_groups(channel);
        }
        pop
    }

    /// How many channel queues are held, read or not.
    fn channel_count(&self) -> usize {
        self.channels.iter().map(|shard| read(shard).len()).sum()
    }

    /// How many groups have at least one member entry, live or expired.
    fn group_count(&self) -> usize {
        self.groups.iter().map(|shard| read(shard).len()).sum()
    }

    /// Frees channels nobody is reading once all their messages expired,
    /// and group memberships past their expiry.
    /// Runs at most once per expiry period, from the send paths.
    fn maybe_sweep(&self, now: Instant) {
        if !self.sweeps.claim(now, self.config.expiry) {
            return;
        }
        let mut expired_channels = HashSet::default();
        for shard in &self.channels {
            write(shard).retain(|name, queue| {
                // Someone else holds the queue: a reader is waiting on it or
                // a sender is about to push. Leave it for the next sweep.
                if Arc::strong_count(queue) > 1 {
                    return true;
                }
                let (expired, left) = queue.sweep(now, self.config.expiry);
                if expired {
                    expired_channels.insert(name.clone());
                }
                left
            });
        }
        self.sweep_groups(now, &expired_channels);
    }

    /// Drops memberships past `group_expiry` and those of `expired_channels`
    /// (see [`remove_from_groups`](Self::remove_from_groups)), then the
    /// groups left empty. Without this, a group nobody sends to again would
    /// hold its expired members forever.
    fn sweep_groups(&self, now: Instant, expired_channels: &HashSet<Arc<str>>) {
        let expiry = self.config.group_expiry;
        for shard in &self.groups {
            write(shard).retain(|_, members| {
                members.retain(|channel, added| {
                    now - *added < expiry && !expired_channels.contains(channel)
                });
                !members.is_empty()
            });
        }
    }
}

/// For `ProtocolTypeRouter::with_channel_layer`, which takes any
/// `Into<Arc<dyn ChannelLayer>>`.
impl From<InMemoryChannelLayer> for Arc<dyn ChannelLayer> {
    fn from(layer: InMemoryChannelLayer) -> Self {
        Arc::new(layer)
    }
}

#[async_trait]
impl ChannelLayer for InMemoryChannelLayer {
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError> {
        let suffix: String = rand::rng()
            .sample_iter(rand::distr::Alphabetic)
            .take(12)
            .map(char::from)
            .collect();
        let name = format!("{prefix}.inmemory!{suffix}");
        validate_channel_name(&name)?;
        self.inner.maybe_sweep(Instant::now());
        Ok(name)
    }

    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError> {
        validate_channel_name(channel)?;
        let now = Instant::now();
        self.inner.maybe_sweep(now);
        match self.inner.push(channel, &event, now, WhenFull::Refuse) {
            Push::Queued => Ok(()),
            // A reader owed a report of misses takes nothing until it has
            // read it: to the sender, the channel is full.
            Push::Full | Push::Missed | Push::Retired => Err(LayerError::ChannelFull {
                channel: channel.to_owned(),
            }),
        }
    }

    async fn receive(&self, channel: &str) -> Result<Event, LayerError> {
        validate_channel_name(channel)?;
        loop {
            let queue = self.inner.queue(channel);
            if let Some(received) = self.inner.receive_from(&queue, channel).await {
                return received;
            }
        }
    }

    /// Holds the channel's queue, so no event costs a lookup by name.
    fn receiver<'a>(&'a self, channel: &'a str) -> BoxStream<'a, Result<Event, LayerError>> {
        if let Err(err) = validate_channel_name(channel) {
            return Box::pin(stream::once(async move { Err(err) }));
        }
        Box::pin(QueueReceiver {
            inner: &self.inner,
            channel,
            queue: self.inner.queue(channel),
        })
    }

    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let mut groups = write(&self.inner.groups[self.inner.shard(group)]);
        groups
            .entry(group.to_owned())
            .or_default()
            .insert(Arc::from(channel), Instant::now());
        Ok(())
    }

    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError> {
        validate_group_name(group)?;
        validate_channel_name(channel)?;
        let mut groups = write(&self.inner.groups[self.inner.shard(group)]);
        if let Some(members) = groups.get_mut(group) {
            members.remove(channel);
            if members.is_empty() {
                groups.remove(group);
            }
        }
        Ok(())
    }

    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError> {
        self.group_send_with(group, event, self.inner.config.overflow)
            .await
    }

    async fn group_send_with(
        &self,
        group: &str,
        event: Event,
        overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        validate_group_name(group)?;
        // One reading of the clock for the whole send.
        let now = Instant::now();
        self.inner.maybe_sweep(now);
        let members = self.inner.members(group, now);
        let report = self
            .inner
            .send_to_channels(&members, &event, overflow, now)
            .await;
        log_skipped(Some(group), &report, overflow);
        Ok(report)
    }

    async fn flush(&self) -> Result<(), LayerError> {
        for shard in &self.inner.channels {
            let queues = std::mem::take(&mut *write(shard));
            queues.values().for_each(|queue| queue.retire());
        }
        for shard in &self.inner.groups {
            write(shard).clear();
        }
        Ok(())
    }

    async fn close_channel(&self, channel: &str) -> Result<(), LayerError> {
        let queue = write(&self.inner.channels[self.inner.shard(channel)]).remove(channel);
        if let Some(queue) = queue {
            queue.retire();
        }
        Ok(())
    }
}

impl fmt::Debug for InMemoryChannelLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryChannelLayer")
            .field("config", &self.inner.config)
            .field("channels", &self.inner.channel_count())
            .field("groups", &self.inner.group_count())
            .finish()
    }
}

/// The error a reader gets in place of the `missed` messages it fell
/// behind on.
fn overflowed(channel: &str, missed: u64) -> LayerError {
    LayerError::Overflowed {
        channel: channel.to_owned(),
        missed,
    }
}

#[cfg(test)]
mod overflow_tests;
#[cfg(test)]
mod receiver_tests;
#[cfg(test)]
mod tests;
