//! Tests of what a group send does for a full member under each
//! [`Overflow`] policy: the queue's side of "no silent loss".
//!
//! On tokio's paused clock, as the layer's other tests: a wait costs no
//! wall time, and a wait that never ends fails at once.

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use serde_json::json;
use tokio::time::{advance, timeout};

use super::*;

fn event(n: u64) -> Event {
    Event::new("test.message", &json!({ "n": n })).unwrap()
}

fn number(event: &Event) -> u64 {
    let value: serde_json::Value = event.decode().unwrap();
    value["n"].as_u64().unwrap()
}

/// A layer of capacity 2 with `members` in the group `room`.
async fn room(overflow: Overflow, members: &[&str]) -> InMemoryChannelLayer {
    let config = InMemoryConfig::default().capacity(2).overflow(overflow);
    let layer = InMemoryChannelLayer::with_config(config);
    for member in members {
        layer.group_add("room", member).await.unwrap();
    }
    layer
}

/// Group-sends `numbers` to `room`, adding up the reports.
async fn send_all(
    layer: &InMemoryChannelLayer,
    numbers: impl IntoIterator<Item = u64>,
) -> GroupSendReport {
    let mut total = GroupSendReport::default();
    for n in numbers {
        let report = layer.group_send("room", event(n)).await.unwrap();
        total.delivered += report.delivered;
        total.over_capacity += report.over_capacity;
    }
    total
}

/// What a reader of `channel` gets now, as numbers and reports of misses,
/// until nothing is left: `Ok(n)` for message n, `Err(missed)`.
fn read_all(layer: &InMemoryChannelLayer, channel: &str) -> Vec<Result<u64, u64>> {
    std::iter::from_fn(|| {
        let received = layer.receive(channel).now_or_never()?;
        Some(match received {
            Ok(event) => Ok(number(&event)),
            Err(LayerError::Overflowed {
                channel: named,
                missed,
            }) => {
                assert_eq!(named, channel);
                Err(missed)
            }
            Err(err) => panic!("receive on {channel}: {err}"),
        })
    })
    .collect()
}

#[tokio::test(start_paused = true)]
async fn close_tells_the_reader_first_and_counts_the_whole_gap() {
    let layer = room(Overflow::Close, &["slow"]).await;
    let report = send_all(&layer, 0..5).await;
    assert_eq!((report.delivered, report.over_capacity), (2, 3));
    // 0 and 1 were queued, then dropped with 2 so that the reader hears
    // of the miss at once; 3 and 4 were counted, not stored.
    assert_eq!(read_all(&layer, "slow"), [Err(5)]);

    // Told once, the reader receives normally again.
    send_all(&layer, 5..7).await;
    assert_eq!(read_all(&layer, "slow"), [Ok(5), Ok(6)]);
}

#[tokio::test(start_paused = true)]
async fn the_receiver_stream_yields_the_report_at_once() {
    let layer = room(Overflow::Close, &["slow"]).await;
    let mut events = layer.receiver("slow");
    send_all(&layer, 0..3).await;
    let first = events.next().now_or_never().flatten();
    assert!(
        matches!(first, Some(Err(LayerError::Overflowed { missed: 3, .. }))),
        "{first:?}"
    );
    assert!(
        events.next().now_or_never().is_none(),
        "nothing stale after it"
    );
}

#[tokio::test(start_paused = true)]
async fn other_members_get_everything() {
    let layer = room(Overflow::Close, &["slow", "quick"]).await;
    let mut quick = Vec::new();
    for n in 0..10 {
        send_all(&layer, [n]).await;
        quick.extend(read_all(&layer, "quick"));
    }
    assert_eq!(quick, (0..10).map(Ok).collect::<Vec<_>>());
    assert_eq!(read_all(&layer, "slow"), [Err(10)]);
}

#[tokio::test(start_paused = true)]
async fn a_send_to_a_reader_owed_a_report_is_refused_and_counted() {
    let layer = room(Overflow::Close, &["slow"]).await;
    send_all(&layer, 0..3).await;
    let refused = layer.send("slow", event(3)).await;
    assert!(
        matches!(refused, Err(LayerError::ChannelFull { .. })),
        "{refused:?}"
    );
    // The reader missed it too, and the count says so.
    assert_eq!(read_all(&layer, "slow"), [Err(4)]);
    layer.send("slow", event(4)).await.unwrap();
    assert_eq!(read_all(&layer, "slow"), [Ok(4)]);
}

#[tokio::test(start_paused = true)]
async fn drop_skips_and_counts_and_tells_nobody() {
    let layer = room(Overflow::Drop, &["slow"]).await;
    let report = send_all(&layer, 0..5).await;
    assert_eq!((report.delivered, report.over_capacity), (2, 3));
    assert_eq!(read_all(&layer, "slow"), [Ok(0), Ok(1)]);
}

#[tokio::test(start_paused = true)]
async fn a_send_takes_its_own_policy_over_the_layers() {
    let layer = room(Overflow::Drop, &["slow"]).await;
    send_all(&layer, 0..2).await;
    let report = layer
        .group_send_with("room", event(2), Overflow::Close)
        .await
        .unwrap();
    assert_eq!(report.over_capacity, 1);
    assert_eq!(read_all(&layer, "slow"), [Err(3)]);
}

#[tokio::test(start_paused = true)]
async fn wait_delivers_once_the_reader_makes_room_in_order() {
    let layer = room(Overflow::Wait(Duration::from_secs(5)), &["slow"]).await;
    send_all(&layer, 0..2).await;
    let sender = {
        let layer = layer.clone();
        tokio::spawn(async move { send_all(&layer, 2..4).await })
    };
    tokio::task::yield_now().await;
    assert!(!sender.is_finished(), "the sender waits for room");
    let mut received = Vec::new();
    while received.len() < 4 {
        let event = timeout(Duration::from_secs(1), layer.receive("slow"))
            .await
            .expect("the waiting sender was never woken")
            .unwrap();
        received.push(number(&event));
    }
    assert_eq!(received, [0, 1, 2, 3]);
    let report = sender.await.unwrap();
    assert_eq!((report.delivered, report.over_capacity), (2, 0));
}

#[tokio::test(start_paused = true)]
async fn wait_past_its_timeout_tells_the_reader_as_close_does() {
    let layer = room(Overflow::Wait(Duration::from_millis(200)), &["slow"]).await;
    send_all(&layer, 0..2).await;
    let started = Instant::now();
    let report = send_all(&layer, [2]).await;
    assert_eq!(started.elapsed(), Duration::from_millis(200));
    assert_eq!(report.over_capacity, 1);
    assert_eq!(read_all(&layer, "slow"), [Err(3)]);
}

#[tokio::test(start_paused = true)]
async fn wait_hands_members_with_room_the_message_before_it_waits() {
    let layer = room(Overflow::Wait(Duration::from_secs(5)), &["slow", "quick"]).await;
    send_all(&layer, 0..2).await;
    assert_eq!(read_all(&layer, "quick"), [Ok(0), Ok(1)]);
    let sender = {
        let layer = layer.clone();
        tokio::spawn(async move { send_all(&layer, [2]).await })
    };
    tokio::task::yield_now().await;
    assert_eq!(
        read_all(&layer, "quick"),
        [Ok(2)],
        "while the send waits for slow"
    );
    assert!(!sender.is_finished());
    advance(Duration::from_secs(5)).await;
    let report = sender.await.unwrap();
    assert_eq!((report.delivered, report.over_capacity), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn wait_does_not_wait_for_a_reader_owed_a_report() {
    let layer = room(Overflow::Close, &["slow"]).await;
    send_all(&layer, 0..3).await;
    let started = Instant::now();
    let wait = Overflow::Wait(Duration::from_secs(5));
    let report = layer.group_send_with("room", event(3), wait).await.unwrap();
    assert_eq!(report.over_capacity, 1);
    assert_eq!(started.elapsed(), Duration::ZERO, "it is closing: no wait");
    assert_eq!(read_all(&layer, "slow"), [Err(4)]);
}

#[tokio::test(start_paused = true)]
async fn a_wait_ends_when_the_channel_is_closed_under_it() {
    let layer = room(Overflow::Wait(Duration::from_secs(5)), &["slow"]).await;
    send_all(&layer, 0..2).await;
    let sender = {
        let layer = layer.clone();
        tokio::spawn(async move { send_all(&layer, [2]).await })
    };
    tokio::task::yield_now().await;
    layer.close_channel("slow").await.unwrap();
    let report = timeout(Duration::from_secs(1), sender)
        .await
        .expect("the wait outlived the channel")
        .unwrap();
    assert_eq!(report.delivered, 1, "to the channel's new queue");
}

#[tokio::test(start_paused = true)]
async fn the_report_expires_as_the_messages_it_stands_for_would() {
    let layer = room(Overflow::Close, &["slow"]).await;
    send_all(&layer, 0..3).await;
    advance(Duration::from_secs(60)).await;
    assert_eq!(read_all(&layer, "slow"), []);
}

#[tokio::test(start_paused = true)]
async fn the_sweep_keeps_a_report_nobody_has_read_yet() {
    let layer = room(Overflow::Close, &["worker"]).await;
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 0
    send_all(&layer, 0..3).await;
    advance(Duration::from_secs(60) - Duration::from_millis(1)).await;
    // Messages sent at t = 0 are 1 ms from expiry: the report is not.
    send_all(&layer, [3]).await;
    advance(Duration::from_millis(1)).await;
    layer.send("trigger", event(0)).await.unwrap(); // sweep at t = 60
    assert_eq!(read_all(&layer, "worker"), [Err(4)]);
}

#[tokio::test(start_paused = true)]
async fn flush_forgets_what_a_reader_missed() {
    let layer = room(Overflow::Close, &["slow"]).await;
    send_all(&layer, 0..3).await;
    layer.flush().await.unwrap();
    layer.send("slow", event(9)).await.unwrap();
    assert_eq!(read_all(&layer, "slow"), [Ok(9)]);
}
