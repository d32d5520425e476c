//! The loops that read this process's keys, one per key and host, and hand
//! each message to the local channel it names.

use std::sync::{Arc, Weak};

use redis::RedisResult;
use redis::aio::MultiplexedConnection;

use super::{Inner, non_local_name, now};
use crate::buffers::{hand_to_channels, reading_policy};
use crate::shard::{BLOCK_SECONDS, Backoff};
use crate::wire::Targets;

/// How many waiting messages each pop takes besides the first: under load
/// one round trip reads a batch, and an idle key costs one pop per
/// `BLOCK_SECONDS`.
const BATCH: usize = 100;

/// A blocking pop, and everything else waiting behind it.
type Popped = (Option<(String, Vec<u8>, f64)>, Vec<(Vec<u8>, f64)>);

/// Starts reading the key of `channel`'s process-local part, unless that
/// is being read already.
pub(super) fn ensure(inner: &Arc<Inner>, channel: &str) {
    let Some(head) = non_local_name(channel) else {
        return;
    };
    let mut readers = inner
        .readers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if readers.contains_key(head) {
        return;
    }
    let key = inner.channel_key(head);
    // Every host, not only the one this name hashes to: channels_redis's
    // `send` hashes the whole channel name and may put a message for us on
    // any of them (channels_redis#221).
    let loops = (0..inner.shards.len())
        .map(|shard| tokio::spawn(read(Arc::downgrade(inner), shard, key.clone())))
        .collect();
    readers.insert(head.to_owned(), loops);
}

/// Reads `key` on one host until the layer is dropped, reconnecting with
/// back-off whenever the host goes away.
async fn read(layer: Weak<Inner>, shard: usize, key: String) {
    let mut backoff = Backoff::default();
    // After a failure Redis may have restarted empty: the memberships of
    // this process are written back once the host answers again.
    let mut rejoin = false;
    loop {
        let connected = match layer.upgrade() {
            Some(inner) => inner.shards[shard].blocking_connection().await,
            None => return,
        };
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(err) => {
                let Some(inner) = layer.upgrade() else { return };
                inner.shards[shard].failed(err);
                drop(inner);
                rejoin = true;
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
        };
        if rejoin {
            let Some(inner) = layer.upgrade() else { return };
            if let Err(err) = inner.rejoin(shard, &mut conn).await {
                inner.shards[shard].failed(err);
                drop(inner);
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
            // The shared connection's socket died in the outage too, and
            // its first command fails on it before it reconnects: let a
            // ping be that command, rather than someone's send.
            let ping = |mut conn: redis::aio::ConnectionManager| async move {
                redis::cmd("PING").query_async::<()>(&mut conn).await
            };
            let _ = inner.shards[shard].run(ping).await;
        }
        backoff = Backoff::default();
        loop {
            let mut pipe = redis::pipe();
            pipe.cmd("BZPOPMIN").arg(&key).arg(BLOCK_SECONDS);
            pipe.cmd("ZPOPMIN").arg(&key).arg(BATCH);
            let popped: RedisResult<Popped> = pipe.query_async(&mut conn).await;
            let Some(inner) = layer.upgrade() else { return };
            match popped {
                Ok((first, rest)) => {
                    inner.shards[shard].up();
                    let first = first.map(|(_, message, _)| message);
                    for message in first.into_iter().chain(rest.into_iter().map(|(m, _)| m)) {
                        inner.hand_on(&message).await;
                    }
                }
                Err(err) => {
                    inner.shards[shard].failed(err);
                    rejoin = true;
                    break;
                }
            }
        }
    }
}

impl Inner {
    /// Hands a message read off Redis to the local channels it names.
    async fn hand_on(&self, bytes: &[u8]) {
        let (event, targets) = match self.wire.decode(bytes) {
            Ok(decoded) => decoded,
            Err(err) => {
                tracing::warn!(error = %err, "dropping a message read from Redis");
                return;
            }
        };
        let channels = match targets {
            Some(Targets::One(channel)) => vec![channel],
            Some(Targets::Many(channels)) => channels,
            None => {
                tracing::warn!(
                    event_type = event.event_type(),
                    "dropping a message on a process-local key that names no channel"
                );
                return;
            }
        };
        let (open, closed): (Vec<String>, Vec<String>) = channels
            .into_iter()
            .partition(|channel| self.local.is_open(channel));
        for channel in closed {
            tracing::debug!(channel, "dropping a message for a channel that has closed");
        }
        hand_to_channels(&self.buffers, &open, &event, reading_policy(self.overflow)).await;
    }

    /// Writes this process's memberships of the groups on `shard` back.
    ///
    /// Bug fixed here: the write went through the shared command
    /// connection, whose first command after a restart still fails on the
    /// dead socket ("broken pipe"); the failure was only logged, so the
    /// memberships never came back. It now goes through the reader's own
    /// connection, just made and known to answer, and a failure makes the
    /// reader reconnect and try again.
    async fn rejoin(&self, shard: usize, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let memberships = self
            .local
            .memberships(|group| self.shard_of(group) == shard);
        if memberships.is_empty() {
            return Ok(());
        }
        let (now, expiry) = (now(), self.group_expiry.as_secs() as i64);
        let mut pipe = redis::pipe();
        for (group, channel) in &memberships {
            let key = self.group_key(group);
            pipe.zadd(&key, channel, now).ignore();
            pipe.expire(&key, expiry).ignore();
        }
        pipe.query_async::<()>(conn).await?;
        tracing::info!(
            host = %self.shards[shard].host,
            memberships = memberships.len(),
            "rejoined this process's groups after Redis came back"
        );
        Ok(())
    }
}
