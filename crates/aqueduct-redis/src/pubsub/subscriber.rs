//! One pub/sub connection per Redis host, kept subscribed to what this
//! process's channels and groups need, through drops and restarts.
//!
//! What the layer wants is recorded in [`Locals`](super::local::Locals);
//! the subscriber makes the connection match it. After the connection
//! drops, a task connects again with back-off and subscribes everything
//! wanted at that moment, so consumers that stayed connected hear their
//! channels and groups again without doing anything.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use aqueduct_core::LayerError;
use futures_util::StreamExt;
use redis::RedisError;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::OwnedMutexGuard;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::Inner;
use crate::error::is_outage;
use crate::shard::{Backoff, RESPONSE_TIMEOUT};

/// How often an idle connection is pinged, to find one that died without
/// closing (a host that vanished from the network).
const PING_EVERY: Duration = Duration::from_secs(10);

/// Names per `SUBSCRIBE` when a connection subscribes everything again.
const SUBSCRIBE_BATCH: usize = 500;

/// The pub/sub connection to one host.
#[derive(Debug, Default)]
pub(super) struct Subscriber {
    /// Held by whoever changes subscriptions, and by the task while it
    /// connects: a change waits for a connection being made.
    link: Arc<tokio::sync::Mutex<Link>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// The connection as it is now.
#[derive(Default)]
struct Link {
    /// `None` while the host is unreachable.
    sink: Option<PubSubSink>,
    /// What the connection is subscribed to.
    subscribed: HashSet<String>,
}

impl Subscriber {
    /// The link, for as long as the task needs it.
    async fn hold(&self) -> OwnedMutexGuard<Link> {
        Arc::clone(&self.link).lock_owned().await
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("up", &self.sink.is_some())
            .field("subscribed", &self.subscribed.len())
            .finish()
    }
}

impl Inner {
    /// Subscribes to `name`, or unsubscribes from it, as this process's
    /// channels and groups now need.
    ///
    /// While the host is unreachable this changes nothing and succeeds:
    /// the task subscribes everything wanted once it is back.
    pub(super) async fn sync(self: &Arc<Self>, name: &str) -> Result<(), LayerError> {
        let shard = self.shard_of(name);
        let subscriber = &self.subscribers[shard];
        self.start(shard);
        let mut link = subscriber.link.lock().await;
        let wanted = self.locals.is_wanted(name);
        if wanted == link.subscribed.contains(name) {
            return Ok(());
        }
        let Some(sink) = link.sink.as_mut() else {
            return Ok(());
        };
        let changed = if wanted {
            timeout(RESPONSE_TIMEOUT, sink.subscribe(name)).await
        } else {
            timeout(RESPONSE_TIMEOUT, sink.unsubscribe(name)).await
        };
        match changed.unwrap_or_else(|_| Err(timed_out())) {
            Ok(()) if wanted => link.subscribed.insert(name.to_owned()),
            Ok(()) => link.subscribed.remove(name),
            // The task notices the dead connection and subscribes again.
            Err(err) if is_outage(&err) => {
                self.shards[shard].failed(err);
                return Ok(());
            }
            Err(err) => return Err(self.shards[shard].failed(err)),
        };
        Ok(())
    }

    /// Unsubscribes every host from everything, for `flush`.
    pub(super) async fn unsubscribe_all(&self) {
        for subscriber in &self.subscribers {
            let mut link = subscriber.link.lock().await;
            let names: Vec<String> = link.subscribed.drain().collect();
            if let (Some(sink), false) = (link.sink.as_mut(), names.is_empty()) {
                // A failure means the connection is gone, and with it
                // every subscription.
                let _ = timeout(RESPONSE_TIMEOUT, sink.unsubscribe(&names)).await;
            }
        }
    }

    /// Starts the task of `shard`'s connection, unless it runs already.
    fn start(self: &Arc<Self>, shard: usize) {
        let subscriber = &self.subscribers[shard];
        let mut task = subscriber.task.lock().unwrap_or_else(|p| p.into_inner());
        if task.is_some() {
            return;
        }
        // The task holds the link from the start, so a subscription asked
        // for right after waits for the first connection rather than
        // finding none and leaving it to the task. (Only a `flush` racing
        // the first subscription can hold it already.)
        let held = Arc::clone(&subscriber.link).try_lock_owned().ok();
        *task = Some(tokio::spawn(run(Arc::downgrade(self), shard, held)));
    }

    /// Stops every connection's task, for a layer that is dropped.
    pub(super) fn stop(&self) {
        for subscriber in &self.subscribers {
            let task = subscriber.task.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(task) = &*task {
                task.abort();
            }
        }
    }
}

/// Keeps `shard`'s connection up until the layer is dropped: connects,
/// subscribes what is wanted, hands on messages until the connection
/// dies, and starts again.
async fn run(layer: Weak<Inner>, shard: usize, mut held: Option<OwnedMutexGuard<Link>>) {
    let mut backoff = Backoff::default();
    let mut reconnected = false;
    loop {
        let Some(inner) = layer.upgrade() else { return };
        let link = match held.take() {
            Some(link) => link,
            None => inner.subscribers[shard].hold().await,
        };
        match connect(&inner, shard, link, reconnected).await {
            Ok((sink, stream)) => {
                inner.shards[shard].up();
                backoff = Backoff::default();
                reconnected = true;
                drop(inner);
                let ended = listen(&layer, sink, stream).await;
                let Some(inner) = layer.upgrade() else { return };
                let mut link = inner.subscribers[shard].hold().await;
                link.sink = None;
                link.subscribed.clear();
                inner.shards[shard].failed(ended);
                // Try again at once: a dropped connection is often a
                // restart that is already over.
                held = Some(link);
            }
            Err(err) => {
                inner.shards[shard].failed(err);
                reconnected = true;
                drop(inner);
                tokio::time::sleep(backoff.next()).await;
            }
        }
    }
}

/// After an outage the publishing connection may still hold the socket
/// Redis broke, and would fail the next send before reconnecting: a
/// `PING` or two makes it reconnect now.
async fn wake_publisher(inner: &Inner, shard: usize) {
    for _ in 0..3 {
        let ping = inner.shards[shard]
            .run(|mut conn| async move { redis::cmd("PING").query_async::<()>(&mut conn).await })
            .await;
        if ping.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens the connection and subscribes everything this process wants on
/// `shard`. The link stays down (and is released) if that fails.
///
/// After an outage, the publishing connection is woken first, so that
/// sends work again by the time messages arrive.
async fn connect(
    inner: &Inner,
    shard: usize,
    mut link: OwnedMutexGuard<Link>,
    after_outage: bool,
) -> Result<(PubSubSink, PubSubStream), RedisError> {
    link.sink = None;
    link.subscribed.clear();
    let (mut sink, stream) = inner.shards[shard].pubsub_connection().await?.split();
    if after_outage {
        wake_publisher(inner, shard).await;
    }
    let names = inner.locals.wanted(|name| inner.shard_of(name) == shard);
    for batch in names.chunks(SUBSCRIBE_BATCH) {
        timeout(RESPONSE_TIMEOUT, sink.subscribe(batch))
            .await
            .unwrap_or_else(|_| Err(timed_out()))?;
    }
    if !names.is_empty() {
        tracing::info!(
            host = %inner.shards[shard].host,
            subscriptions = names.len(),
            "subscribed this process's channels and groups"
        );
    }
    link.subscribed = names.into_iter().collect();
    link.sink = Some(sink.clone());
    Ok((sink, stream))
}

/// Hands on every message until the connection ends; returns why it did.
async fn listen(layer: &Weak<Inner>, mut sink: PubSubSink, mut stream: PubSubStream) -> RedisError {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.reset();
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else {
                    return closed();
                };
                let Some(inner) = layer.upgrade() else {
                    return closed();
                };
                inner.hand_on(message.get_channel_name(), message.get_payload_bytes()).await;
            }
            _ = ping.tick() => {
                let pong = timeout(RESPONSE_TIMEOUT, sink.ping::<redis::Value>()).await;
                if let Err(err) = pong.unwrap_or_else(|_| Err(timed_out())) {
                    return err;
                }
            }
        }
    }
}

fn closed() -> RedisError {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "the pub/sub connection closed",
    )
    .into()
}

fn timed_out() -> RedisError {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "no answer within the response timeout",
    )
    .into()
}
