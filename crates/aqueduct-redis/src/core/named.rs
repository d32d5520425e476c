//! Receiving on named channels (no `!`), which several processes may read
//! at once: each message goes to one of them, as with channels_redis.

use std::sync::Arc;

use aqueduct_core::{Event, LayerError};
use futures_util::stream::{self, BoxStream};
use redis::RedisResult;
use tokio::sync::oneshot;

use super::Inner;
use crate::shard::{BLOCK_SECONDS, Backoff};

/// Waits for the next message on `channel`.
///
/// The pop runs in a task of its own, which puts a message back at the
/// head of the queue if this future was dropped while Redis handed it
/// over: receiving stays cancel-safe.
pub(super) async fn receive(inner: &Arc<Inner>, channel: &str) -> Result<Event, LayerError> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(pop(Arc::clone(inner), channel.to_owned(), tx));
    rx.await
        .unwrap_or_else(|_| Err(LayerError::Backend("the receive task ended early".into())))
}

/// The events of `channel`, one `receive` after another.
pub(super) fn receiver<'a>(
    inner: &'a Arc<Inner>,
    channel: &'a str,
) -> BoxStream<'a, Result<Event, LayerError>> {
    Box::pin(stream::unfold((), move |()| async move {
        Some((receive(inner, channel).await, ()))
    }))
}

async fn pop(inner: Arc<Inner>, channel: String, tx: oneshot::Sender<Result<Event, LayerError>>) {
    let key = inner.channel_key(&channel);
    let hosts = inner.shards.len();
    // With several hosts, wait briefly on each in turn: senders spread
    // named channels over all of them.
    let wait = if hosts == 1 { BLOCK_SECONDS } else { 1 };
    let mut shard = inner.next_receive();
    let mut backoff = Backoff::default();
    while !tx.is_closed() {
        let host = &inner.shards[shard];
        let popped: RedisResult<Option<(String, Vec<u8>, f64)>> = match host.take_blocking().await {
            Ok(mut conn) => {
                let popped = redis::cmd("BZPOPMIN")
                    .arg(&key)
                    .arg(wait)
                    .query_async(&mut conn)
                    .await;
                if popped.is_ok() {
                    host.give_back(conn);
                }
                popped
            }
            Err(err) => Err(err),
        };
        match popped {
            Ok(Some((_, message, score))) => {
                host.up();
                match inner.wire.decode(&message) {
                    Ok((event, _)) => {
                        if tx.send(Ok(event)).is_err() {
                            inner.put_back(shard, &key, message, score).await;
                        }
                        return;
                    }
                    Err(err) => tracing::warn!(channel, error = %err, "dropping a message"),
                }
            }
            Ok(None) => shard = (shard + 1) % hosts,
            Err(err) => {
                host.failed(err);
                tokio::time::sleep(backoff.next()).await;
            }
        }
    }
}

impl Inner {
    fn next_receive(&self) -> usize {
        use std::sync::atomic::Ordering;
        self.next_receive.fetch_add(1, Ordering::Relaxed) % self.shards.len()
    }

    /// Returns a popped message to where it was, with its old score, so
    /// it is the next one read.
    async fn put_back(&self, shard: usize, key: &str, message: Vec<u8>, score: f64) {
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(key).arg(score).arg(message);
        let result = self.shards[shard]
            .run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "a message popped for a receiver that left is lost");
        }
    }
}
