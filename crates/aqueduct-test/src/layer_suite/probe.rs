//! What the checks share: numbered messages, and receiving with a
//! deadline, so a broken layer fails a check instead of hanging it.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aqueduct_core::{ChannelLayer, Event, GroupSendReport, LayerError, Overflow};
use serde_json::json;
use tokio::time::timeout;

/// How long a message that should arrive may take: generous, for a layer
/// on a loaded server. On a paused clock it costs nothing.
pub(crate) const ARRIVES_WITHIN: Duration = Duration::from_secs(10);

/// How long to wait before concluding that nothing more will arrive.
/// Queued messages come back in well under this from a local server.
pub(crate) const QUIET: Duration = Duration::from_millis(300);

/// The expiry of the checks of expiry: whole seconds, as Redis counts.
pub(crate) const EXPIRY: Duration = Duration::from_secs(1);

/// Well under [`EXPIRY`]: what has lived this long must still be there.
pub(crate) const YOUNG: Duration = Duration::from_millis(500);

/// Past [`EXPIRY`] even counted in whole seconds, which may add up to one.
pub(crate) const EXPIRED: Duration = Duration::from_millis(2_200);

/// A small message that carries a number, to check order.
pub(crate) fn event(n: u64) -> Event {
    Event::new("test.message", &json!({ "n": n })).expect("encode a test message")
}

/// The number `event` carries.
pub(crate) fn number(event: &Event) -> u64 {
    let value: serde_json::Value = event.decode().expect("decode a test message");
    value["n"]
        .as_u64()
        .expect("a test message carries a number")
}

/// One channel of each kind: a named one, which any process may read, and
/// a process-local one from `new_channel`, which only its layer reads.
pub(crate) async fn both_kinds(layer: &impl ChannelLayer, name: &str) -> [String; 2] {
    let local = layer.new_channel("specific").await.expect("new_channel");
    [name.to_owned(), local]
}

/// The next message on `channel`, as its number; fails the check if none
/// comes.
pub(crate) async fn next(layer: &impl ChannelLayer, channel: &str) -> u64 {
    number(&arrives(layer.receive(channel), channel).await)
}

/// Waits for `receive`, failing the check if it errs or never finishes.
pub(crate) async fn arrives(
    receive: impl Future<Output = Result<Event, LayerError>>,
    channel: &str,
) -> Event {
    match timeout(ARRIVES_WITHIN, receive).await {
        Ok(Ok(event)) => event,
        Ok(Err(err)) => panic!("receive on {channel}: {err}"),
        Err(_) => panic!("nothing arrived on {channel} within {ARRIVES_WITHIN:?}"),
    }
}

/// The next message on `channel`, if one comes within [`QUIET`].
pub(crate) async fn try_next(layer: &impl ChannelLayer, channel: &str) -> Option<u64> {
    match timeout(QUIET, layer.receive(channel)).await {
        Ok(Ok(event)) => Some(number(&event)),
        Ok(Err(err)) => panic!("receive on {channel}: {err}"),
        Err(_) => None,
    }
}

/// Everything queued on `channel`, as numbers, in the order received.
pub(crate) async fn drain(layer: &impl ChannelLayer, channel: &str) -> Vec<u64> {
    let mut numbers = Vec::new();
    while let Some(n) = try_next(layer, channel).await {
        numbers.push(n);
    }
    numbers
}

/// Sends `event(n)` to `channel`, failing the check on any error.
pub(crate) async fn send(layer: &impl ChannelLayer, channel: &str, n: u64) {
    if let Err(err) = layer.send(channel, event(n)).await {
        panic!("send {n} to {channel}: {err}");
    }
}

/// Sends `event(n)` to `group`, failing the check on any error.
pub(crate) async fn group_send(layer: &impl ChannelLayer, group: &str, n: u64) -> GroupSendReport {
    match layer.group_send(group, event(n)).await {
        Ok(report) => report,
        Err(err) => panic!("group_send {n} to {group}: {err}"),
    }
}

/// Sends `event(n)` to `group` under `overflow`, failing the check on any
/// error.
pub(crate) async fn group_send_with(
    layer: &impl ChannelLayer,
    group: &str,
    n: u64,
    overflow: Overflow,
) -> GroupSendReport {
    match layer.group_send_with(group, event(n), overflow).await {
        Ok(report) => report,
        Err(err) => panic!("group_send_with {n} to {group} under {overflow:?}: {err}"),
    }
}

/// Adds each channel to `group`, failing the check on an error.
pub(crate) async fn join(layer: &impl ChannelLayer, group: &str, channels: &[impl AsRef<str>]) {
    for channel in channels.iter().map(AsRef::as_ref) {
        if let Err(err) = layer.group_add(group, channel).await {
            panic!("group_add {group} {channel}: {err}");
        }
    }
}

/// Whether a send was refused as `ChannelFull`, naming `channel`.
pub(crate) fn is_full(result: &Result<(), LayerError>, channel: &str) -> bool {
    matches!(result, Err(LayerError::ChannelFull { channel: full }) if full == channel)
}

/// Sends until `channel` is full; returns how many messages fit.
pub(crate) async fn fill(layer: &impl ChannelLayer, channel: &str) -> usize {
    for sent in 0..1_000 {
        let result = layer.send(channel, event(sent)).await;
        if is_full(&result, channel) {
            return sent as usize;
        }
        if let Err(err) = result {
            panic!("send to {channel}: {err}");
        }
    }
    panic!("{channel} took 1000 messages without filling up");
}

/// Each sender numbered its messages `sender * 1000 + i`: checks that
/// every sender's messages came in the order it sent them.
pub(crate) fn assert_in_order_per_sender(received: &[u64]) {
    let mut last = HashMap::new();
    for &n in received {
        let (sender, i) = (n / 1000, n % 1000);
        if let Some(previous) = last.insert(sender, i) {
            assert!(previous < i, "sender {sender}: {i} came after {previous}");
        }
    }
}
