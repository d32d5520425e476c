//! Receiving on named channels (no `!`), which several processes may read
//! at once: each message goes to one of them, as with channels_redis.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use aqueduct_core::{Event, LayerError};
use futures_util::stream::{self, BoxStream};
use redis::RedisResult;
use tokio::sync::oneshot;

use super::Inner;
use crate::shard::{BLOCK_SECONDS, Backoff};

/// What a pop hands its receive.
type Popped = Result<Event, LayerError>;

/// The pops of receives that were dropped before they finished, by
/// channel, for the channel's next receive to take over.
#[derive(Default)]
pub(super) struct ParkedPops(Mutex<HashMap<String, VecDeque<Pop>>>);

/// A pop running for a receive: what it pops is the channel's next message.
struct Pop {
    rx: oneshot::Receiver<Popped>,
    /// Set while no receive waits on the pop, so that an idle one ends.
    abandoned: Arc<AtomicBool>,
}

impl ParkedPops {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Pop>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self, channel: &str) -> Option<Pop> {
        let mut parked = self.lock();
        let pops = parked.get_mut(channel)?;
        let taken = pops.pop_front();
        if pops.is_empty() {
            parked.remove(channel);
        }
        taken
    }

    fn park(&self, channel: &str, pop: Pop) {
        pop.abandoned.store(true, Ordering::Relaxed);
        self.lock()
            .entry(channel.to_owned())
            .or_default()
            .push_back(pop);
    }

    /// Drops every parked pop, and what they hold: `flush` deletes it all.
    pub(super) fn clear(&self) {
        self.lock().clear();
    }
}

/// A receive's wait on its pop, which is parked if the wait is dropped.
struct Waiting<'a> {
    inner: &'a Inner,
    channel: &'a str,
    pop: Option<Pop>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        // Bug: a receive dropped after its pop had a message lost that message.
        if let Some(pop) = self.pop.take() {
            self.inner.parked.park(self.channel, pop);
        }
    }
}

/// Waits for the next message on `channel`.
///
/// The pop runs in a task of its own. If this future is dropped first,
/// the pop is parked for the channel's next receive, which gets what it
/// popped: receiving stays cancel-safe and in order.
pub(super) async fn receive(inner: &Arc<Inner>, channel: &str) -> Result<Event, LayerError> {
    loop {
        let parked = inner.parked.take(channel);
        let was_parked = parked.is_some();
        let pop = parked.unwrap_or_else(|| {
            let (tx, rx) = oneshot::channel();
            let abandoned = Arc::new(AtomicBool::new(false));
            let task = pop(Arc::clone(inner), channel.to_owned(), tx, abandoned.clone());
            tokio::spawn(task);
            Pop { rx, abandoned }
        });
        pop.abandoned.store(false, Ordering::Relaxed);
        let mut waiting = Waiting {
            inner,
            channel,
            pop: Some(pop),
        };
        let rx = &mut waiting.pop.as_mut().expect("set just above").rx;
        let popped = rx.await;
        waiting.pop = None;
        match popped {
            Ok(popped) => return popped,
            // A parked pop may have ended idle before it was taken over.
            Err(_) if was_parked => continue,
            Err(_) => return Err(LayerError::Backend("the receive task ended early".into())),
        }
    }
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

async fn pop(
    inner: Arc<Inner>,
    channel: String,
    tx: oneshot::Sender<Popped>,
    abandoned: Arc<AtomicBool>,
) {
    let key = inner.channel_key(&channel);
    let hosts = inner.shards.len();
    // With several hosts, wait briefly on each in turn: senders spread
    // named channels over all of them.
    let wait = if hosts == 1 { BLOCK_SECONDS } else { 1 };
    let mut shard = inner.next_receive();
    let mut backoff = Backoff::default();
    // A parked pop that nobody came back for ends after an idle wait,
    // rather than hold a connection, and the layer, for ever.
    while !tx.is_closed() && !abandoned.load(Ordering::Relaxed) {
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
