//! No silent loss on Redis: a consumer whose channel overflows in this
//! process is closed with 4013, whichever process sent what it missed,
//! channels_redis's included; and a full Redis key of another process,
//! whose reader cannot be told, is counted and logged by the sender.

mod peer;
mod support;

use std::time::{Duration, Instant};

use aqueduct_core::{
    ChannelLayer, CloseCode, Context, Event, Message, Overflow, Result, WebsocketConsumer,
};
use aqueduct_redis::{RedisChannelLayer, RedisConfig};
use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
use aqueduct_test::{Output, WebsocketCommunicator};
use async_trait::async_trait;
use peer::PythonPeer;
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::{
    capture_logs, layer, logs, python, redis_available, redis_url, sorted_set, unique_prefix,
};

/// What the room carries: `{"type": "room.message", "n": …}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum RoomEvent {
    #[serde(rename = "room.message")]
    Message { n: u64 },
}

fn event(n: u64) -> Event {
    Event::from_message(&RoomEvent::Message { n }).unwrap()
}

/// A member of the room that passes each message on to its client.
#[derive(Default)]
struct Member;

#[async_trait]
impl WebsocketConsumer for Member {
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct_core::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        let RoomEvent::Message { n } = event;
        ctx.send_text(n.to_string()).await
    }
}

/// The captured line that holds every piece, if there is one.
fn logged(pieces: &[&str]) -> Option<String> {
    let logs = logs();
    let line = logs
        .lines()
        .find(|line| pieces.iter().all(|piece| line.contains(piece)))?;
    Some(line.to_owned())
}

/// Waits until Redis holds nothing more for the process that reads
/// `member`, and a moment more for its reading loop to hand on the last
/// of it.
async fn read_off_redis(prefix: &str, member: &str) {
    let head = &member[..=member.find('!').expect("a process-local channel")];
    let key = format!("{prefix}{head}");
    let started = Instant::now();
    while !sorted_set::<Vec<u8>>(&redis_url(), &key)
        .await
        .expect("ZRANGE")
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{key} is never read"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// What a client that stopped reading finds when it reads again: the
/// numbers it got, in order, and the close that followed.
async fn read_to_the_close(client: &mut WebsocketCommunicator) -> (Vec<u64>, CloseCode, String) {
    let mut received = Vec::new();
    loop {
        match client.receive_output().await {
            Output::Message(Message::Text(text)) => received.push(text.parse().unwrap()),
            Output::Message(other) => panic!("not a number: {other:?}"),
            Output::Close(frame) => return (received, frame.code, frame.reason),
        }
    }
}

/// Messages the tests send to a slow member.
const COUNT: u64 = 50;

/// A member of the room on `layer` whose client reads nothing yet: its
/// consumer soon waits on a send, and its channel fills.
async fn slow_member(layer: &RedisChannelLayer) -> WebsocketCommunicator {
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/", Member::default))
        .with_channel_layer(layer.clone());
    let mut slow = WebsocketCommunicator::new(app, "/ws/").capacity(1);
    slow.connect().await.assert_accepted();
    slow
}

/// Once [`COUNT`] messages were sent to the room, reads what the slow
/// member got: the first of them in order, then a 4013 close whose count
/// accounts for every other one.
async fn assert_closed_for_the_rest(prefix: &str, slow: &mut WebsocketCommunicator, sender: &str) {
    let members = sorted_set::<String>(&redis_url(), &format!("{prefix}:group:room"))
        .await
        .unwrap();
    read_off_redis(prefix, &members[0]).await;
    let (received, code, reason) = read_to_the_close(slow).await;
    assert_eq!(code, CloseCode::MISSED_MESSAGES, "{sender}: {reason}");
    let missed: u64 = reason
        .strip_prefix("missed ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("{sender}: no count in {reason:?}"));
    let in_order: Vec<u64> = (0..received.len() as u64).collect();
    assert_eq!(received, in_order, "{sender}");
    assert_eq!(received.len() as u64 + missed, COUNT, "{sender}: {reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_falls_behind_is_closed_with_4013_whichever_process_sends() {
    if !redis_available() {
        return;
    }
    let prefix = unique_prefix();
    // Two processes on one Redis: `here` serves the member, `there` sends.
    let here = layer(RedisConfig::new().prefix(&prefix).capacity(10)).await;
    let there = layer(RedisConfig::new().prefix(&prefix)).await;
    for (sender, name) in [(&here, "its own process"), (&there, "another process")] {
        let mut slow = slow_member(&here).await;
        for n in 0..COUNT {
            sender.group_send("room", event(n)).await.unwrap();
        }
        assert_closed_for_the_rest(&prefix, &mut slow, name).await;
        here.flush().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_channels_redis_sends_closes_a_member_that_falls_behind_too() {
    let Some(python) = python().filter(|_| redis_available()) else {
        return;
    };
    let prefix = unique_prefix();
    let here = layer(RedisConfig::new().prefix(&prefix).capacity(10)).await;
    let mut slow = slow_member(&here).await;
    let mut django =
        PythonPeer::start(&python, json!({ "hosts": [redis_url()], "prefix": prefix }));
    for n in 0..COUNT {
        let message = json!({ "type": "room.message", "n": n });
        django.group_send("room", &message).await;
    }
    assert_closed_for_the_rest(&prefix, &mut slow, "channels_redis").await;
    here.flush().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_hands_a_member_that_falls_behind_what_fits_and_no_close() {
    if !redis_available() {
        return;
    }
    let prefix = unique_prefix();
    let config = RedisConfig::new().prefix(&prefix).capacity(10);
    let here = layer(config.overflow(Overflow::Drop)).await;
    let mut slow = slow_member(&here).await;
    let mut over_capacity = 0;
    for n in 0..COUNT {
        over_capacity += here
            .group_send("room", event(n))
            .await
            .unwrap()
            .over_capacity;
    }
    assert!(over_capacity > 0);
    let mut received = 0;
    while let Ok(output) = slow.try_receive_output(Duration::from_millis(300)).await {
        assert!(
            output.as_message().is_some(),
            "no close under Drop: {output:?}"
        );
        received += 1;
    }
    assert_eq!(received + over_capacity as u64, COUNT);
    here.flush().await.unwrap();
}

#[tokio::test]
async fn a_full_key_of_another_process_is_counted_and_logged_by_the_sender() {
    if !redis_available() {
        return;
    }
    capture_logs();
    let prefix = unique_prefix();
    let sender = layer(RedisConfig::new().prefix(&prefix).capacity(2)).await;
    // A process that crashed left its member behind: nobody reads its key.
    sender
        .group_add("room", "specific.gone0000!member")
        .await
        .unwrap();
    let mut over_capacity = 0;
    for n in 0..5 {
        over_capacity += sender
            .group_send("room", event(n))
            .await
            .unwrap()
            .over_capacity;
    }
    assert_eq!(over_capacity, 3);
    let line = logged(&["WARN", "group=\"room\"", "Redis keys at capacity"]);
    let line = line.expect("the sender's WARN");
    assert!(
        line.contains("specific.gone0000!"),
        "it names the key: {line}"
    );

    // Under Wait, the sender waits for room first; nobody makes any.
    let started = Instant::now();
    let wait = Overflow::Wait(Duration::from_millis(300));
    let report = sender
        .group_send_with("room", event(5), wait)
        .await
        .unwrap();
    assert_eq!(report.over_capacity, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    sender.flush().await.unwrap();
}
