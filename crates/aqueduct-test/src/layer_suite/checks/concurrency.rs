//! Senders and readers on several threads at once.

use std::sync::Arc;

use aqueduct_core::{ChannelLayer, LayerError};
use tokio::time::timeout;

use super::super::probe::{
    ARRIVES_WITHIN, assert_in_order_per_sender, both_kinds, drain, event, next, try_next,
};
use super::super::{LayerFactory, LayerSettings};

const SENDERS: u64 = 4;

/// Spawns one task per sender, each sending `sender * 1000 + i` for `i`
/// in `0..each` to `channel` and returning how many were queued. With
/// `retry`, a full channel is waited out; without, the message is dropped.
fn spawn_senders<L: ChannelLayer>(
    layer: &Arc<L>,
    channel: &str,
    each: u64,
    retry: bool,
) -> Vec<tokio::task::JoinHandle<u64>> {
    let spawn = |sender: u64| {
        let (layer, channel) = (Arc::clone(layer), channel.to_owned());
        tokio::spawn(async move {
            let mut queued = 0;
            for i in 0..each {
                loop {
                    match layer.send(&channel, event(sender * 1000 + i)).await {
                        Ok(()) => queued += 1,
                        // A full channel is backpressure: try again.
                        Err(LayerError::ChannelFull { .. }) if retry => {
                            tokio::task::yield_now().await;
                            continue;
                        }
                        Err(LayerError::ChannelFull { .. }) => {}
                        Err(err) => panic!("send to {channel}: {err}"),
                    }
                    break;
                }
            }
            queued
        })
    };
    (0..SENDERS).map(spawn).collect()
}

/// Senders racing for the last places of a channel queue exactly its
/// capacity between them, no more.
pub async fn concurrent_senders_never_exceed_capacity(factory: &impl LayerFactory) {
    const EACH: u64 = 250;
    let layer = Arc::new(factory.make(LayerSettings::default().capacity(600)).await);
    for channel in both_kinds(&*layer, "shared").await {
        let mut queued = 0;
        for sender in spawn_senders(&layer, &channel, EACH, false) {
            queued += sender.await.expect("a sender panicked");
        }
        assert_eq!(queued, 600, "{channel}");
        let received = drain(&*layer, &channel).await;
        assert_eq!(received.len(), 600, "{channel}");
        assert_in_order_per_sender(&received);
    }
}

/// Concurrent senders and one reader on a small channel: every message
/// arrives, each sender's in its order, and nothing is left over.
pub async fn concurrent_senders_and_a_reader_lose_nothing(factory: &impl LayerFactory) {
    const EACH: u64 = 250;
    let total = (SENDERS * EACH) as usize;
    let layer = Arc::new(factory.make(LayerSettings::default().capacity(8)).await);
    for channel in both_kinds(&*layer, "shared").await {
        let reader = {
            let (layer, channel) = (Arc::clone(&layer), channel.clone());
            tokio::spawn(async move {
                let mut received = Vec::with_capacity(total);
                while received.len() < total {
                    received.push(next(&*layer, &channel).await);
                }
                received
            })
        };
        let senders = spawn_senders(&layer, &channel, EACH, true);
        // A reader that misses a wake-up leaves the senders spinning on a
        // full channel, so bound the whole exchange.
        let received = timeout(ARRIVES_WITHIN * 3, async {
            for sender in senders {
                assert_eq!(sender.await.expect("a sender panicked"), EACH);
            }
            reader.await.expect("the reader panicked")
        })
        .await
        .expect("the reader stopped reading");
        assert_eq!(received.len(), total, "{channel}");
        assert_in_order_per_sender(&received);
        assert_eq!(try_next(&*layer, &channel).await, None, "{channel}");
    }
}
