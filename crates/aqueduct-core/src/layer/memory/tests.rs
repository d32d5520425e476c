//! Tests of the in-memory layer against the Channels layer spec.
//!
//! Time-dependent tests run on tokio's paused clock: `advance` moves the
//! layer's `Instant::now()` without waiting, so expiry costs no wall time.

use std::collections::HashSet;
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
async fn delivery_is_fifo_per_channel_and_at_most_once() {
    let layer = InMemoryChannelLayer::new();
    for n in 0..5 {
        layer.send("first", event(n)).await.unwrap();
        layer.send("second", event(100 + n)).await.unwrap();
    }

    assert_eq!(drain(&layer, "first"), [0, 1, 2, 3, 4]);
    assert_eq!(drain(&layer, "second"), [100, 101, 102, 103, 104]);
    // Each message was handed out once: nothing is left to read again.
    assert!(try_receive(&layer, "first").is_none());
    assert!(try_receive(&layer, "second").is_none());
}

#[tokio::test(start_paused = true)]
async fn default_capacity_is_100_and_a_receive_makes_room() {
    let layer = InMemoryChannelLayer::new();
    assert_eq!(fill(&layer, "worker").await, 100);

    match layer.send("worker", event(100)).await {
        Err(LayerError::ChannelFull { channel }) => assert_eq!(channel, "worker"),
        other => panic!("the 101st send gave {other:?}"),
    }

    assert_eq!(number(&try_receive(&layer, "worker").unwrap()), 0);
    layer.send("worker", event(101)).await.unwrap();
    assert!(is_full(layer.send("worker", event(102)).await));
    // The rejected messages were not queued.
    let left = drain(&layer, "worker");
    assert_eq!(left.len(), 100);
    assert_eq!(left.last(), Some(&101));
}

#[tokio::test(start_paused = true)]
async fn channel_capacity_patterns_first_match_wins() {
    let layer = InMemoryChannelLayer::with_config(
        InMemoryConfig::default()
            .capacity(3)
            .channel_capacity("small.*", 1)
            .channel_capacity("small.big", 10)
            .channel_capacity("big.?", 5),
    );
    let table = [
        ("small.x", 1),
        ("small.big", 1),
        ("big.x", 5),
        ("big.xy", 3),
        ("other", 3),
        ("specific.inmemory!abc", 3),
    ];
    for (channel, capacity) in table {
        assert_eq!(fill(&layer, channel).await, capacity, "{channel}");
    }
}

#[tokio::test(start_paused = true)]
async fn group_send_skips_full_members_and_counts_them() {
    let layer = InMemoryChannelLayer::with_config(InMemoryConfig::default().capacity(2));
    for channel in ["a", "b", "c"] {
        layer.group_add("room", channel).await.unwrap();
    }
    assert_eq!(fill(&layer, "b").await, 2);

    let report = layer.group_send("room", event(7)).await.unwrap();
    assert_eq!(
        report,
        GroupSendReport {
            delivered: 2,
            over_capacity: 1
        }
    );
    assert_eq!(drain(&layer, "a"), [7]);
    assert_eq!(drain(&layer, "c"), [7]);
    assert_eq!(drain(&layer, "b"), [0, 1], "the full member got nothing");

    // Being skipped does not cost the membership.
    let report = layer.group_send("room", event(8)).await.unwrap();
    assert_eq!(report.delivered, 3);
    assert_eq!(drain(&layer, "b"), [8]);
}

#[tokio::test(start_paused = true)]
async fn group_send_to_an_unknown_group_reaches_nobody() {
    let layer = InMemoryChannelLayer::new();
    let report = layer.group_send("nobody_here", event(0)).await.unwrap();
    assert_eq!(report, GroupSendReport::default());
}

#[tokio::test(start_paused = true)]
async fn unread_messages_expire() {
    let table = [
        (InMemoryConfig::default(), Duration::from_secs(60)),
        (
            InMemoryConfig::default().expiry(Duration::from_secs(5)),
            Duration::from_secs(5),
        ),
    ];
    for (config, expiry) in table {
        let layer = InMemoryChannelLayer::with_config(config);
        let step = Duration::from_millis(1);
        layer.send("stale", event(1)).await.unwrap();
        advance(step).await;
        layer.send("fresh", event(2)).await.unwrap();
        advance(expiry - step).await;

        // "stale" is exactly `expiry` old, "fresh" one step younger.
        assert!(try_receive(&layer, "stale").is_none(), "{expiry:?}");
        assert_eq!(drain(&layer, "fresh"), [2], "{expiry:?}");
    }
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
async fn group_memberships_expire() {
    let table = [
        (InMemoryConfig::default(), Duration::from_secs(86_400)),
        (
            InMemoryConfig::default().group_expiry(Duration::from_secs(10)),
            Duration::from_secs(10),
        ),
    ];
    for (config, group_expiry) in table {
        let layer = InMemoryChannelLayer::with_config(config);
        let step = Duration::from_millis(1);
        layer.group_add("room", "member").await.unwrap();

        advance(group_expiry - step).await;
        let report = layer.group_send("room", event(1)).await.unwrap();
        assert_eq!(report.delivered, 1, "{group_expiry:?}: still a member");
        assert_eq!(drain(&layer, "member"), [1]);

        advance(step).await;
        let report = layer.group_send("room", event(2)).await.unwrap();
        assert_eq!(report.delivered, 0, "{group_expiry:?}: membership expired");
        assert!(try_receive(&layer, "member").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn group_add_refreshes_membership() {
    let group_expiry = Duration::from_secs(100);
    let layer =
        InMemoryChannelLayer::with_config(InMemoryConfig::default().group_expiry(group_expiry));
    layer.group_add("room", "member").await.unwrap();
    advance(group_expiry / 2).await;
    layer.group_add("room", "member").await.unwrap();
    // Past the first add's expiry, within the second's.
    advance(group_expiry / 2 + Duration::from_secs(1)).await;

    let report = layer.group_send("room", event(1)).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(drain(&layer, "member"), [1]);
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

#[derive(Clone, Copy, Debug)]
enum Op {
    Send,
    Receive,
    GroupAddChannel,
    GroupAddGroup,
    GroupDiscardChannel,
    GroupDiscardGroup,
    GroupSend,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum NameKind {
    Channel,
    Group,
}

/// Runs `op` with `name` in the place of the kind of name `op` checks.
async fn run(layer: &InMemoryChannelLayer, op: Op, name: &str) -> Result<(), LayerError> {
    match op {
        Op::Send => layer.send(name, event(0)).await,
        Op::Receive => layer
            .receive(name)
            .now_or_never()
            .expect("a bad name fails at once instead of waiting")
            .map(drop),
        Op::GroupAddChannel => layer.group_add("room", name).await,
        Op::GroupAddGroup => layer.group_add(name, "chat").await,
        Op::GroupDiscardChannel => layer.group_discard("room", name).await,
        Op::GroupDiscardGroup => layer.group_discard(name, "chat").await,
        Op::GroupSend => layer.group_send(name, event(0)).await.map(drop),
    }
}

#[tokio::test(start_paused = true)]
async fn every_operation_validates_names() {
    let too_long = "a".repeat(100);
    let bad_channels = [
        "",
        "has space",
        "two!bangs!",
        "!local",
        "caf\u{e9}",
        "slash/",
        too_long.as_str(),
    ];
    let bad_groups = ["", "has space", "with!bang", "caf\u{e9}", too_long.as_str()];
    let table = [
        (Op::Send, NameKind::Channel),
        (Op::Receive, NameKind::Channel),
        (Op::GroupAddChannel, NameKind::Channel),
        (Op::GroupAddGroup, NameKind::Group),
        (Op::GroupDiscardChannel, NameKind::Channel),
        (Op::GroupDiscardGroup, NameKind::Group),
        (Op::GroupSend, NameKind::Group),
    ];
    let layer = InMemoryChannelLayer::new();
    for (op, kind) in table {
        let bad_names: &[&str] = match kind {
            NameKind::Channel => &bad_channels,
            NameKind::Group => &bad_groups,
        };
        for &bad in bad_names {
            match (kind, run(&layer, op, bad).await) {
                (NameKind::Channel, Err(LayerError::InvalidChannelName { name, .. }))
                | (NameKind::Group, Err(LayerError::InvalidGroupName { name, .. })) => {
                    assert_eq!(name, bad, "{op:?}")
                }
                (_, other) => panic!("{op:?} with {bad:?} gave {other:?}, not a {kind:?} error"),
            }
        }
    }
    // Nothing rejected was stored.
    assert_eq!(layer.inner.channel_count(), 0);
    assert_eq!(layer.inner.group_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn new_channel_rejects_prefixes_that_make_bad_names() {
    let layer = InMemoryChannelLayer::new();
    let long = "a".repeat(90);
    for prefix in ["has space", "a!b", "caf\u{e9}", long.as_str()] {
        let result = layer.new_channel(prefix).await;
        assert!(
            matches!(result, Err(LayerError::InvalidChannelName { .. })),
            "{prefix:?} gave {result:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn new_channel_names_are_valid_and_unique() {
    let layer = InMemoryChannelLayer::new();
    let mut seen = HashSet::new();
    for prefix in ["specific", "custom.prefix"] {
        for _ in 0..1000 {
            let name = layer.new_channel(prefix).await.unwrap();
            let suffix = name
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(".inmemory!"))
                .unwrap_or_else(|| panic!("{name} does not start with {prefix}.inmemory!"));
            assert_eq!(suffix.len(), 12, "{name}");
            assert!(suffix.bytes().all(|b| b.is_ascii_alphabetic()), "{name}");
            validate_channel_name(&name).unwrap();
            assert!(seen.insert(name.clone()), "{name} was handed out twice");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn group_discard_of_a_non_member_is_fine() {
    let layer = InMemoryChannelLayer::new();
    layer.group_discard("no_such_group", "a").await.unwrap();

    layer.group_add("room", "a").await.unwrap();
    layer.group_discard("room", "stranger").await.unwrap();
    assert_eq!(
        layer.group_send("room", event(1)).await.unwrap().delivered,
        1
    );

    layer.group_discard("room", "a").await.unwrap();
    layer.group_discard("room", "a").await.unwrap();
    assert_eq!(
        layer.group_send("room", event(2)).await.unwrap().delivered,
        0
    );
    assert_eq!(drain(&layer, "a"), [1]);
}

#[tokio::test(start_paused = true)]
async fn flush_empties_channels_and_groups() {
    let layer = InMemoryChannelLayer::new();
    layer.send("a", event(1)).await.unwrap();
    assert_eq!(fill(&layer, "full").await, 100);
    layer.group_add("room", "a").await.unwrap();

    layer.flush().await.unwrap();
    assert_eq!(layer.inner.channel_count(), 0);
    assert_eq!(layer.inner.group_count(), 0);
    assert!(try_receive(&layer, "a").is_none());
    assert_eq!(
        layer.group_send("room", event(2)).await.unwrap().delivered,
        0
    );
    assert_eq!(fill(&layer, "full").await, 100, "capacity is back");
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
async fn a_waiting_receiver_is_woken() {
    let layer = InMemoryChannelLayer::new();
    let by_send = spawn_receiver(&layer, "a");
    let by_group_send = spawn_receiver(&layer, "b");
    let_tasks_run().await;
    assert!(!by_send.is_finished() && !by_group_send.is_finished());

    layer.send("a", event(1)).await.unwrap();
    layer.group_add("room", "b").await.unwrap();
    layer.group_send("room", event(2)).await.unwrap();
    assert_eq!(number(&received(by_send).await), 1);
    assert_eq!(number(&received(by_group_send).await), 2);
}

#[tokio::test(start_paused = true)]
async fn receive_is_cancel_safe() {
    let layer = InMemoryChannelLayer::new();

    // Dropped by select! when another branch wins.
    tokio::select! {
        _ = layer.receive("a") => panic!("nothing was sent"),
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
    layer.send("a", event(1)).await.unwrap();
    assert_eq!(drain(&layer, "a"), [1]);

    // Dropped by a timeout.
    assert!(
        timeout(Duration::from_secs(1), layer.receive("a"))
            .await
            .is_err()
    );
    layer.send("a", event(2)).await.unwrap();
    assert_eq!(drain(&layer, "a"), [2]);

    // Dropped after the send woke it but before it ran again.
    let mut pending = layer.receive("a");
    assert!((&mut pending).now_or_never().is_none());
    layer.send("a", event(3)).await.unwrap();
    layer.send("a", event(4)).await.unwrap();
    drop(pending);
    assert_eq!(number(&within(layer.receive("a")).await), 3);
    assert_eq!(number(&within(layer.receive("a")).await), 4);
}

#[tokio::test(start_paused = true)]
async fn a_long_lived_receive_future_sees_every_message() {
    // The consumer loop keeps one receive future across turns and only
    // polls it now and then.
    let layer = InMemoryChannelLayer::new();
    let mut pending = layer.receive("a");
    assert!((&mut pending).now_or_never().is_none());
    for n in 0..3 {
        layer.send("a", event(n)).await.unwrap();
    }
    assert_eq!(number(&within(pending).await), 0);
    assert_eq!(drain(&layer, "a"), [1, 2]);
}

#[tokio::test(start_paused = true)]
async fn a_receive_pending_across_flush_or_close_gets_later_messages() {
    // Bug: flush and close_channel dropped the queue a pending receive waited
    // on, so that receiver never saw another message.
    type Removal = fn(InMemoryChannelLayer) -> futures_util::future::BoxFuture<'static, ()>;
    let table: [(&str, Removal); 2] = [
        ("flush", |layer| {
            async move { layer.flush().await.unwrap() }.boxed()
        }),
        ("close_channel", |layer| {
            async move { layer.close_channel("a").await.unwrap() }.boxed()
        }),
    ];
    for (removal, remove) in table {
        let layer = InMemoryChannelLayer::new();
        let waiting = spawn_receiver(&layer, "a");
        // The consumer loop's way: one future, polled now and then.
        let mut long_lived = layer.receive("b");
        assert!((&mut long_lived).now_or_never().is_none());
        let_tasks_run().await;

        remove(layer.clone()).await;
        layer.send("a", event(1)).await.unwrap();
        layer.send("b", event(2)).await.unwrap();
        assert_eq!(number(&received(waiting).await), 1, "after {removal}");
        assert_eq!(number(&within(long_lived).await), 2, "after {removal}");
    }
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
async fn concurrent_senders_never_exceed_capacity() {
    const SENDERS: u64 = 4;
    const EACH: u64 = 250;
    let layer = InMemoryChannelLayer::with_config(InMemoryConfig::default().capacity(600));
    let tasks: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let layer = layer.clone();
            tokio::spawn(async move {
                let mut accepted = 0;
                for i in 0..EACH {
                    match layer.send("shared", event(sender * 1000 + i)).await {
                        Ok(()) => accepted += 1,
                        Err(LayerError::ChannelFull { .. }) => {}
                        Err(err) => panic!("{err}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await.unwrap();
    }

    assert_eq!(accepted, 600);
    let received = drain(&layer, "shared");
    assert_eq!(received.len(), 600);
    assert_in_order_per_sender(&received);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_and_a_reader_lose_nothing() {
    const SENDERS: u64 = 4;
    const EACH: u64 = 1000;
    let layer = InMemoryChannelLayer::with_config(InMemoryConfig::default().capacity(8));
    let reader = {
        let layer = layer.clone();
        tokio::spawn(async move {
            let mut received = Vec::new();
            while received.len() < (SENDERS * EACH) as usize {
                received.push(number(&layer.receive("shared").await.unwrap()));
            }
            received
        })
    };
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let layer = layer.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    // A full channel is backpressure: wait and try again.
                    while is_full(layer.send("shared", event(sender * 1000 + i)).await) {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();

    // A reader that misses a wake-up leaves the senders spinning on a full
    // channel, so bound the whole exchange.
    let received = timeout(Duration::from_secs(30), async {
        for sender in senders {
            sender.await.unwrap();
        }
        reader.await.unwrap()
    })
    .await
    .expect("the reader stopped reading");
    assert_eq!(received.len(), (SENDERS * EACH) as usize);
    assert_in_order_per_sender(&received);
    assert!(try_receive(&layer, "shared").is_none());
}

/// Each sender numbered its messages `sender * 1000 + i`; check every
/// sender's messages arrived in the order it sent them.
fn assert_in_order_per_sender(received: &[u64]) {
    let mut last = std::collections::HashMap::new();
    for &n in received {
        let (sender, i) = (n / 1000, n % 1000);
        if let Some(previous) = last.insert(sender, i) {
            assert!(previous < i, "sender {sender}: {i} came after {previous}");
        }
    }
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
