//! Waiting for messages: wake-ups, cancellation, the `receiver` stream,
//! and `flush` under a waiting reader.

use std::sync::Arc;
use std::time::Duration;

use aqueduct_core::{ChannelLayer, Event, LayerError};
use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};

use super::super::probe::{
    ARRIVES_WITHIN, QUIET, arrives, both_kinds, drain, fill, group_send, join, next, number, send,
    try_next,
};
use super::super::{LayerFactory, LayerSettings};

/// Spawns a task that waits for the next message on `channel`, and lets
/// it start waiting.
async fn spawn_receiver<L: ChannelLayer>(
    layer: &Arc<L>,
    channel: &str,
) -> JoinHandle<Result<Event, LayerError>> {
    let (layer, channel) = (Arc::clone(layer), channel.to_owned());
    let receiver = tokio::spawn(async move { layer.receive(&channel).await });
    sleep(QUIET).await;
    assert!(
        !receiver.is_finished(),
        "a receive returned with nothing sent"
    );
    receiver
}

/// The message a spawned receiver got, as its number.
async fn received(receiver: JoinHandle<Result<Event, LayerError>>, channel: &str) -> u64 {
    let event = arrives(
        async { receiver.await.expect("the receiver panicked") },
        channel,
    );
    number(&event.await)
}

/// Polls `receive` until it waits, so it has started listening; fails
/// the check if it returns with nothing sent.
async fn start<F: Future + Unpin>(receive: &mut F) {
    tokio::select! {
        biased;
        _ = receive => panic!("a receive returned with nothing sent"),
        () = sleep(QUIET) => {}
    }
}

/// A receive that is waiting when a message comes, by `send` or by
/// `group_send`, gets it.
pub async fn a_waiting_receiver_is_woken(factory: &impl LayerFactory) {
    let layer = Arc::new(factory.make(LayerSettings::default()).await);
    let by_send = both_kinds(&*layer, "by_send").await;
    let by_group_send = both_kinds(&*layer, "by_group_send").await;
    for (a, b) in by_send.iter().zip(&by_group_send) {
        let waiting_a = spawn_receiver(&layer, a).await;
        let waiting_b = spawn_receiver(&layer, b).await;
        send(&*layer, a, 1).await;
        join(&*layer, "room", &[b]).await;
        group_send(&*layer, "room", 2).await;
        layer.group_discard("room", b).await.expect("group_discard");
        assert_eq!(received(waiting_a, a).await, 1, "{a}");
        assert_eq!(received(waiting_b, b).await, 2, "{b}");
    }
}

/// Dropping a receive before it returns loses nothing and reorders
/// nothing: not when `select!` or a timeout drops it, nor when messages
/// had come for it.
pub async fn receive_is_cancel_safe(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    for channel in both_kinds(&layer, "worker").await {
        tokio::select! {
            _ = layer.receive(&channel) => panic!("{channel}: nothing was sent"),
            () = sleep(QUIET) => {}
        }
        send_two(&layer, &channel, 1).await;
        assert_eq!(
            drain(&layer, &channel).await,
            [1, 2],
            "{channel}: after select!"
        );

        assert!(timeout(QUIET, layer.receive(&channel)).await.is_err());
        send_two(&layer, &channel, 3).await;
        assert_eq!(
            drain(&layer, &channel).await,
            [3, 4],
            "{channel}: after a timeout"
        );

        // Dropped after the messages came, before it was polled again.
        let mut pending = layer.receive(&channel);
        start(&mut pending).await;
        send_two(&layer, &channel, 5).await;
        sleep(QUIET).await;
        drop(pending);
        assert_eq!(
            drain(&layer, &channel).await,
            [5, 6],
            "{channel}: after a wake-up"
        );
    }
}

/// Sends `n` and `n + 1` to `channel`.
async fn send_two(layer: &impl ChannelLayer, channel: &str, n: u64) {
    send(layer, channel, n).await;
    send(layer, channel, n + 1).await;
}

/// One receive future, kept and polled now and then as a consumer's run
/// loop does, gets the first message; the rest stay queued.
pub async fn a_long_lived_receive_future_sees_every_message(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    for channel in both_kinds(&layer, "worker").await {
        let mut pending = layer.receive(&channel);
        start(&mut pending).await;
        for n in 0..3 {
            send(&layer, &channel, n).await;
        }
        assert_eq!(number(&arrives(pending, &channel).await), 0, "{channel}");
        assert_eq!(drain(&layer, &channel).await, [1, 2], "{channel}");
    }
}

/// The `receiver` stream yields what was queued before it, then what is
/// sent while it listens, in order.
pub async fn receiver_yields_queued_then_later_events_in_order(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    for channel in both_kinds(&layer, "worker").await {
        send(&layer, &channel, 1).await;
        let mut events = layer.receiver(&channel);
        let mut next_event = async || {
            let item = timeout(ARRIVES_WITHIN, events.next()).await;
            let event = item.expect("the receiver was never woken");
            number(&event.expect("the receiver ended").expect("receive"))
        };
        let reader = async {
            let mut got = Vec::new();
            for _ in 0..4 {
                got.push(next_event().await);
            }
            got
        };
        let writer = async {
            for n in 2..=4 {
                sleep(Duration::from_millis(20)).await;
                send(&layer, &channel, n).await;
            }
        };
        let (got, ()) = tokio::join!(reader, writer);
        assert_eq!(got, [1, 2, 3, 4], "{channel}");
    }
}

/// A `receiver` on a bad channel name yields the name's error first.
pub async fn receiver_with_a_bad_name_is_one_error(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let mut events = layer.receiver("not a name");
    let first = timeout(QUIET, events.next()).await;
    assert!(
        matches!(first, Ok(Some(Err(LayerError::InvalidChannelName { .. })))),
        "{first:?}"
    );
}

/// `flush` deletes every message and group, gives full channels their
/// room back, and leaves channels usable.
pub async fn flush_empties_channels_and_groups(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let channels = both_kinds(&layer, "worker").await;
    let full = both_kinds(&layer, "full").await;
    for (channel, full) in channels.iter().zip(&full) {
        send(&layer, channel, 1).await;
        assert_eq!(fill(&layer, full).await, 100);
        join(&layer, "room", &[channel]).await;
    }

    layer.flush().await.expect("flush");
    assert_eq!(group_send(&layer, "room", 2).await.delivered, 0);
    for (channel, full) in channels.iter().zip(&full) {
        assert_eq!(try_next(&layer, channel).await, None, "{channel}");
        assert_eq!(fill(&layer, full).await, 100, "{full}: capacity is back");
        send(&layer, channel, 3).await;
        assert_eq!(
            next(&layer, channel).await,
            3,
            "{channel} works after flush"
        );
    }
}

/// A receive already waiting when `flush` runs gets the messages sent
/// after it.
pub async fn a_receive_pending_across_flush_gets_later_messages(factory: &impl LayerFactory) {
    let layer = Arc::new(factory.make(LayerSettings::default()).await);
    let spawned = both_kinds(&*layer, "spawned").await;
    let kept = both_kinds(&*layer, "kept").await;
    for (a, b) in spawned.iter().zip(&kept) {
        let waiting = spawn_receiver(&layer, a).await;
        // The consumer loop's way: one future, polled now and then.
        let mut long_lived = layer.receive(b);
        start(&mut long_lived).await;

        layer.flush().await.expect("flush");
        send(&*layer, a, 1).await;
        send(&*layer, b, 2).await;
        assert_eq!(received(waiting, a).await, 1, "{a}");
        assert_eq!(number(&arrives(long_lived, b).await), 2, "{b}");
    }
}
