//! Tests of what is the in-memory layer's own: its defaults, its sweeps,
//! its queues, its clones. The Channels layer spec is checked by the
//! suite every layer passes, `aqueduct_test::layer_suite`
//! (crates/aqueduct-test/tests/layer_suite.rs).
//!
//! Time-dependent tests run on tokio's paused clock: `advance` moves the
//! layer's `Instant::now()` without waiting, so expiry costs no wall time.

use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::json;
use tokio::time::{advance, timeout};

use super::*;

/// A small message that carries a number, to check order.
fn event(n: u64) -> Event {
    Event::new("test.message", &json!({ "n": n })).unwrap()
}

fn number(event: &Event) -> u64 {
    let value: serde_json::Value = event.decode().unwrap();
    value["n"].as_u64().unwrap()
}

/// Polls `receive` once and drops it: the next message if one is queued.
///
/// Dropping the pending future on an empty channel is itself the cancel
/// case the layer promises to survive.
fn try_receive(layer: &InMemoryChannelLayer, channel: &str) -> Option<Event> {
    layer
        .receive(channel)
        .now_or_never()
        .map(|received| received.unwrap())
}

/// Receives everything queued on `channel`, as numbers, in order.
fn drain(layer: &InMemoryChannelLayer, channel: &str) -> Vec<u64> {
    std::iter::from_fn(|| try_receive(layer, channel))
        .map(|event| number(&event))
        .collect()
}

/// Sends until the channel is full; returns how many messages fit.
async fn fill(layer: &InMemoryChannelLayer, channel: &str) -> usize {
    for sent in 0..10_000 {
        match layer.send(channel, event(sent as u64)).await {
            Ok(()) => {}
            Err(LayerError::ChannelFull { channel: full }) => {
                assert_eq!(full, channel);
                return sent;
            }
            Err(err) => panic!("send to {channel}: {err}"),
        }
    }
    panic!("{channel} took 10000 messages without filling up");
}

/// Lets spawned tasks run until they wait on something.
async fn let_tasks_run() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

/// Spawns a task that waits for the next message on `channel`.
fn spawn_receiver(
    layer: &InMemoryChannelLayer,
    channel: &str,
) -> tokio::task::JoinHandle<Result<Event, LayerError>> {
    let (layer, channel) = (layer.clone(), channel.to_owned());
    tokio::spawn(async move { layer.receive(&channel).await })
}

/// Waits for `receive` to finish, failing (on the paused clock, at once)
/// instead of hanging if it never does.
async fn within<T>(receive: impl Future<Output = Result<T, LayerError>>) -> T {
    timeout(Duration::from_secs(10), receive)
        .await
        .expect("the receiver was never woken")
        .unwrap()
}

/// Waits for a spawned receiver's message.
async fn received(receiver: tokio::task::JoinHandle<Result<Event, LayerError>>) -> Event {
    within(async { receiver.await.unwrap() }).await
}

fn is_full(result: Result<(), LayerError>) -> bool {
    matches!(result, Err(LayerError::ChannelFull { .. }))
}

#[tokio::test(start_paused = true)]
async fn new_has_the_defaults_of_channels() {
    let layer = InMemoryChannelLayer::new();
    assert_eq!(fill(&layer, "full").await, 100, "capacity");

    let step = Duration::from_millis(1);
    layer.group_add("room", "member").await.unwrap();
    layer.send("stale", event(1)).await.unwrap();
    advance(step).await;
    layer.send("fresh", event(2)).await.unwrap();
    advance(Duration::from_secs(60) - step).await;
    // "stale" is exactly 60 s old, "fresh" one step younger.
    assert!(try_receive(&layer, "stale").is_none(), "expiry");
    assert_eq!(drain(&layer, "fresh"), [2], "expiry");

    advance(Duration::from_secs(86_400 - 60) - step).await;
    let report = layer.group_send("room", event(3)).await.unwrap();
    assert_eq!(report.delivered, 1, "group expiry: still a member");
    advance(step).await;
    let report = layer.group_send("room", event(4)).await.unwrap();
    assert_eq!(report.delivered, 0, "group expiry: membership expired");
}

#[tokio::test(start_paused = true)]
async fn rejected_names_store_nothing() {
    let layer = InMemoryChannelLayer::new();
    assert!(layer.send("bad name", event(0)).await.is_err());
    assert!(layer.group_add("bad group", "chat").await.is_err());
    assert!(layer.group_add("room", "bad channel").await.is_err());
    assert!(layer.receive("bad name").now_or_never().unwrap().is_err());
    assert_eq!(layer.inner.channel_count(), 0);
    assert_eq!(layer.inner.group_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn new_channel_names_are_the_prefix_inmemory_and_12_letters() {
    let layer = InMemoryChannelLayer::new();
    for prefix in ["specific", "custom.prefix"] {
        let name = layer.new_channel(prefix).await.unwrap();
        let suffix = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(".inmemory!"))
            .unwrap_or_else(|| panic!("{name} does not start with {prefix}.inmemory!"));
        assert_eq!(suffix.len(), 12, "{name}");
        assert!(suffix.bytes().all(|b| b.is_ascii_alphabetic()), "{name}");
    }
}

#[tokio::test(start_paused = true)]
async fn flush_frees_every_queue_and_group() {
    let layer = InMemoryChannelLayer::new();
    layer.send("a", event(1)).await.unwrap();
    layer.group_add("room", "a").await.unwrap();
    layer.flush().await.unwrap();
    assert_eq!(layer.inner.channel_count(), 0);
    assert_eq!(layer.inner.group_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn expired_messages_free_capacity() {
    let layer = InMemoryChannelLayer::with_config(InMemoryConfig::default().capacity(2));
    // Fill between sweeps, so that the send itself must notice the expiry.
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 0
    advance(Duration::from_secs(30)).await;
    assert_eq!(fill(&layer, "slow").await, 2);
    advance(Duration::from_secs(30)).await;
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 60: "slow" is fresh
    assert!(is_full(layer.send("slow", event(9)).await));
    advance(Duration::from_secs(30)).await;

    layer.send("slow", event(10)).await.unwrap();
    layer.send("slow", event(11)).await.unwrap();
    assert_eq!(drain(&layer, "slow"), [10, 11]);
}

/// Makes "a", a member of "g1" and "g2", with one unread message that is
/// `age` old, while the sweep (every 60 s) last ran when that message was
/// 30 s old. Until it is 90 s old, only the operation under test can notice
/// that it expired.
async fn member_with_message(age: Duration) -> InMemoryChannelLayer {
    let layer = InMemoryChannelLayer::new();
    for (group, channel) in [("g1", "a"), ("g2", "a"), ("g1", "b")] {
        layer.group_add(group, channel).await.unwrap();
    }
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 0
    advance(Duration::from_secs(30)).await;
    layer.send("a", event(1)).await.unwrap();
    advance(Duration::from_secs(30)).await;
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 60: "a" is fresh
    advance(age - Duration::from_secs(30)).await;
    layer
}

#[tokio::test(start_paused = true)]
async fn an_expired_message_removes_its_channel_from_groups() {
    let layer = member_with_message(Duration::from_secs(59)).await;
    let report = layer.group_send("g2", event(2)).await.unwrap();
    assert_eq!(
        report.delivered, 1,
        "a message not yet expired changes nothing"
    );

    type Trigger = fn(InMemoryChannelLayer) -> futures_util::future::BoxFuture<'static, ()>;
    let table: [(&str, Trigger); 4] = [
        ("receive", |layer| {
            async move { assert!(try_receive(&layer, "a").is_none()) }.boxed()
        }),
        ("send", |layer| {
            async move { layer.send("a", event(3)).await.unwrap() }.boxed()
        }),
        ("group_send", |layer| {
            async move { layer.group_send("g1", event(3)).await.map(drop).unwrap() }.boxed()
        }),
        ("sweep", |layer| {
            async move {
                advance(Duration::from_secs(30)).await;
                layer.send("other", event(0)).await.unwrap();
            }
            .boxed()
        }),
    ];
    for (trigger, run) in table {
        let layer = member_with_message(Duration::from_secs(60)).await;
        run(layer.clone()).await;
        let g1 = layer.group_send("g1", event(4)).await.unwrap();
        assert_eq!(g1.delivered, 1, "after {trigger}: only b is left in g1");
        assert_eq!(drain(&layer, "b").last(), Some(&4), "after {trigger}");
        let g2 = layer.group_send("g2", event(4)).await.unwrap();
        assert_eq!(g2.delivered, 0, "after {trigger}: a left g2 too");
    }
}

#[tokio::test(start_paused = true)]
async fn the_sweep_frees_expired_memberships_of_groups_nobody_sends_to() {
    // Bug: an expired membership was only dropped by a group_send to its
    // group, so groups nobody sent to again were held forever.
    let layer = InMemoryChannelLayer::with_config(
        InMemoryConfig::default().group_expiry(Duration::from_secs(10)),
    );
    layer.group_add("abandoned", "gone").await.unwrap();
    layer.group_add("mixed", "gone").await.unwrap();
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 0
    advance(Duration::from_secs(55)).await;
    layer.group_add("mixed", "fresh").await.unwrap();
    advance(Duration::from_secs(5)).await;
    layer.send("other", event(0)).await.unwrap(); // sweep at t = 60

    assert_eq!(layer.inner.group_count(), 1, "only \"mixed\" is left");
    let report = layer.group_send("mixed", event(1)).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(drain(&layer, "fresh"), [1]);
}

#[tokio::test(start_paused = true)]
async fn close_channel_frees_the_queue() {
    let layer = InMemoryChannelLayer::new();
    for n in 0..3 {
        layer.send("leaving", event(n)).await.unwrap();
    }
    layer.send("staying", event(9)).await.unwrap();

    layer.close_channel("leaving").await.unwrap();
    assert_eq!(layer.inner.channel_count(), 1);
    assert!(try_receive(&layer, "leaving").is_none());
    assert_eq!(drain(&layer, "staying"), [9]);
    // Closing an unknown channel is not an error.
    layer.close_channel("never.used").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_receive_pending_across_close_channel_gets_later_messages() {
    // Bug: close_channel (and flush, which the layer suite checks) dropped
    // the queue a pending receive waited on, so that receiver never saw
    // another message.
    let layer = InMemoryChannelLayer::new();
    let waiting = spawn_receiver(&layer, "a");
    // The consumer loop's way: one future, polled now and then.
    let mut long_lived = layer.receive("b");
    assert!((&mut long_lived).now_or_never().is_none());
    let_tasks_run().await;

    for channel in ["a", "b"] {
        layer.close_channel(channel).await.unwrap();
    }
    layer.send("a", event(1)).await.unwrap();
    layer.send("b", event(2)).await.unwrap();
    assert_eq!(number(&received(waiting).await), 1);
    assert_eq!(number(&within(long_lived).await), 2);
}

#[tokio::test(start_paused = true)]
async fn the_sweep_frees_channels_nobody_reads() {
    let layer = InMemoryChannelLayer::new();
    layer.send("stale", event(1)).await.unwrap(); // sweep at t = 0
    let waiting = spawn_receiver(&layer, "waiting");
    let_tasks_run().await;
    layer.send("fresh", event(2)).await.unwrap();
    advance(Duration::from_secs(30)).await;
    layer.send("fresh", event(3)).await.unwrap();
    assert_eq!(layer.inner.channel_count(), 3);

    advance(Duration::from_secs(30)).await;
    layer.send("trigger", event(4)).await.unwrap(); // sweep at t = 60

    // "stale" is gone; "fresh" still holds a live message; "waiting" has a
    // receiver; "trigger" was made after the sweep.
    assert_eq!(layer.inner.channel_count(), 3);
    assert_eq!(drain(&layer, "fresh"), [3]);
    layer.send("waiting", event(5)).await.unwrap();
    assert_eq!(number(&received(waiting).await), 5);
}

#[tokio::test(start_paused = true)]
async fn cloned_layers_share_state() {
    let layer = InMemoryChannelLayer::new();
    let clone = layer.clone();

    layer.send("a", event(1)).await.unwrap();
    assert_eq!(drain(&clone, "a"), [1]);

    clone.group_add("room", "a").await.unwrap();
    assert_eq!(
        layer.group_send("room", event(2)).await.unwrap().delivered,
        1
    );
    assert_eq!(drain(&clone, "a"), [2]);

    layer.send("a", event(3)).await.unwrap();
    clone.flush().await.unwrap();
    assert!(try_receive(&layer, "a").is_none());
    assert_eq!(
        layer.group_send("room", event(4)).await.unwrap().delivered,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_send_reaches_ten_thousand_members() {
    const MEMBERS: usize = 10_000;
    let layer = InMemoryChannelLayer::new();
    let members: Vec<String> = (0..MEMBERS).map(|i| format!("member.{i}")).collect();
    for member in &members {
        layer.group_add("everyone", member).await.unwrap();
    }

    // Two group sends at once: every member gets both, each in one piece.
    let sends: Vec<_> = (0..2)
        .map(|n| {
            let layer = layer.clone();
            tokio::spawn(async move { layer.group_send("everyone", event(n)).await.unwrap() })
        })
        .collect();
    for send in sends {
        let report = send.await.unwrap();
        assert_eq!(
            report,
            GroupSendReport {
                delivered: MEMBERS,
                over_capacity: 0
            }
        );
    }
    for member in &members {
        let mut got = drain(&layer, member);
        got.sort_unstable();
        assert_eq!(got, [0, 1], "{member}");
    }
}
