//! aqueduct and the real Python channels_redis on one Redis and one prefix:
//! each sends to the other's channels, joins the other's channels to its
//! groups, and reads what the other wrote, byte for byte.
//!
//! The Python side is `tests/python/channels_peer.py`, started per test
//! with the interpreter `support::python()` finds (`.ci/run` makes it).
//!
//! Sharding and channels_redis#221, as observed with channels_redis 4.3.0
//! on two hosts (see `sharding_over_two_servers_agrees_with_channels_redis`):
//! Python's `send` to a process-local channel puts the message on the host
//! of the *whole* channel name, while every reader listens on the host of
//! the part up to `!`. aqueduct's readers listen on every host, so an
//! aqueduct channel receives such a message wherever it lands. A Python
//! receiver still misses a Python `send` to its process-local channel
//! whenever the two names hash to different hosts: the message waits on
//! the other host until it expires. aqueduct's own `send` and both sides'
//! `group_send` put messages where Python reads, so nothing aqueduct writes
//! is missed. A Python `receive` on a named channel also watches one host
//! per call (the next in turn), so with several hosts it may wait for a
//! message sitting on another one.

mod peer;
mod support;

use std::time::Duration;

use aqueduct_core::{ChannelLayer, Event, EventError};
use aqueduct_redis::{RedisChannelLayer, RedisConfig};
use peer::{PythonPeer, event, value};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{RedisServer, python, redis_available, redis_url, unique_prefix};

/// Long enough for a message to cross Redis on a loaded CI machine.
const WAIT: Duration = Duration::from_secs(10);

/// Every kind of value a channel-layer message may hold, as the tests
/// write it: bytes are `{"$bytes": "<hex>"}`, everything else is JSON.
fn rich(kind: &str) -> Value {
    json!({
        "type": kind,
        "text": "00ff",
        "bytes": {"$bytes": "00ff"},
        "empty_text": "",
        "empty_bytes": {"$bytes": ""},
        "int": 42,
        "negative": -7,
        "i64_max": i64::MAX,
        "i64_min": i64::MIN,
        "beyond_f64": 9_007_199_254_740_993_i64,
        "float": 1.5,
        "whole_float": 2.0,
        "tiny": 1e-300,
        "none": null,
        "yes": true,
        "no": false,
        "list": [1, "two", {"$bytes": "03"}, null, [2.5, []]],
        "nested": {"a": {"b": {"c": ["deep", {"$bytes": "deadbeef"}]}}, "empty": {}},
        "unicode": "héllo wörld — 日本語 🚰 \u{0}",
    })
}

/// A message of about 1 MB, the least a layer must carry: text of many
/// scripts and bytes that are not UTF-8.
fn large() -> Value {
    let blob: String = (0..420_000)
        .map(|i| format!("{:02x}", (i * 7 + 255) % 256))
        .collect();
    json!({
        "type": "interop.large",
        "text": "é日🚰a".repeat(60_000),
        "bytes": {"$bytes": blob},
    })
}

/// The aqueduct side, on `hosts` under `prefix`.
async fn aqueduct(hosts: &[String], prefix: &str, keys: &[&str]) -> RedisChannelLayer {
    let mut config = RedisConfig::new().hosts(hosts).prefix(prefix);
    for key in keys {
        config = config.symmetric_encryption_key(*key);
    }
    RedisChannelLayer::connect(config)
        .await
        .expect("connect to Redis")
}

/// The Python side, configured as the aqueduct one.
fn channels_redis(hosts: &[String], prefix: &str, keys: &[&str]) -> Option<PythonPeer> {
    let python = python()?;
    let mut config = json!({"hosts": hosts, "prefix": prefix});
    if !keys.is_empty() {
        config["symmetric_encryption_keys"] = json!(keys);
    }
    Some(PythonPeer::start(&python, config))
}

/// The next message on an aqueduct channel.
async fn received_event(layer: &RedisChannelLayer, channel: &str) -> Event {
    tokio::time::timeout(WAIT, layer.receive(channel))
        .await
        .unwrap_or_else(|_| panic!("nothing arrived on {channel} within {WAIT:?}"))
        .expect("receive")
}

/// The next message on an aqueduct channel, as tagged JSON.
async fn received(layer: &RedisChannelLayer, channel: &str) -> Value {
    value(&received_event(layer, channel).await)
}

async fn python_received(peer: &mut PythonPeer, channel: &str) -> Value {
    peer.receive(channel, WAIT)
        .await
        .unwrap_or_else(|| panic!("channels_redis got nothing on {channel} within {WAIT:?}"))
}

fn shared_redis() -> Option<Vec<String>> {
    redis_available().then(|| vec![redis_url()])
}

/// channels_redis and aqueduct on the shared Redis, under a fresh prefix
/// and with no keys; `None`, and the test skips, without Redis or Python.
async fn peers() -> Option<(PythonPeer, RedisChannelLayer)> {
    let hosts = shared_redis()?;
    let prefix = unique_prefix();
    let py = channels_redis(&hosts, &prefix, &[])?;
    Some((py, aqueduct(&hosts, &prefix, &[]).await))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_aqueduct_send_to_each_others_channels() {
    let Some((mut py, rust)) = peers().await else {
        return;
    };

    // Python → aqueduct: a process-local channel and a named one.
    let ours = rust.new_channel("specific").await.unwrap();
    py.send(&ours, &rich("to.aqueduct.local")).await;
    assert_eq!(received(&rust, &ours).await, rich("to.aqueduct.local"));
    py.send("interop.rust-worker", &rich("to.aqueduct.named"))
        .await;
    assert_eq!(
        received(&rust, "interop.rust-worker").await,
        rich("to.aqueduct.named")
    );

    // aqueduct → Python: the same two kinds.
    let theirs = py.new_channel().await;
    rust.send(&theirs, event(&rich("to.python.local")))
        .await
        .unwrap();
    assert_eq!(
        python_received(&mut py, &theirs).await,
        rich("to.python.local")
    );
    rust.send("interop.py-worker", event(&rich("to.python.named")))
        .await
        .unwrap();
    assert_eq!(
        python_received(&mut py, "interop.py-worker").await,
        rich("to.python.named")
    );
    rust.flush().await.unwrap();
}

/// The chat events of the Channels tutorial, as an aqueduct consumer
/// names them: an enum tagged on `"type"`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum ChatEvent {
    #[serde(rename = "chat.message")]
    ChatMessage { message: String, count: i64 },
}

/// A consumer's typed events are Channels' wire format: what Python sends
/// decodes into the enum, a type the enum does not know is told apart, and
/// what the enum makes is the dict a Django consumer's `chat_message` gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_events_are_what_channels_sends_and_receives() {
    let Some((mut py, rust)) = peers().await else {
        return;
    };

    let ours = rust.new_channel("specific").await.unwrap();
    let from_django = json!({"type": "chat.message", "message": "from django", "count": 2});
    py.send(&ours, &from_django).await;
    let chat = ChatEvent::ChatMessage {
        message: "from django".into(),
        count: 2,
    };
    let event = received_event(&rust, &ours).await;
    assert_eq!(event.decode::<ChatEvent>().unwrap(), chat);
    py.send(&ours, &json!({"type": "chat.typo", "message": "hi"}))
        .await;
    let event = received_event(&rust, &ours).await;
    assert!(
        matches!(
            event.decode::<ChatEvent>(),
            Err(EventError::UnknownType { ref event_type, .. }) if event_type == "chat.typo"
        ),
        "{event:?}"
    );

    let theirs = py.new_channel().await;
    rust.send(&theirs, Event::from_message(&chat).unwrap())
        .await
        .unwrap();
    assert_eq!(python_received(&mut py, &theirs).await, from_django);
    rust.flush().await.unwrap();
}

/// Both sides join one group, each adding the other's channels; each
/// side's `group_send` reaches every member: two aqueduct members behind
/// one Redis key (one message naming both under `__asgi_channel__`), and
/// a named channel read on each side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_span_python_and_aqueduct() {
    let Some((mut py, rust)) = peers().await else {
        return;
    };
    let ours = [
        rust.new_channel("specific").await.unwrap(),
        rust.new_channel("specific").await.unwrap(),
    ];
    let theirs = py.new_channel().await;
    for channel in &ours {
        py.group_add("chat_lobby", channel).await;
    }
    rust.group_add("chat_lobby", &theirs).await.unwrap();
    py.group_add("chat_lobby", "interop.rust-worker").await;
    rust.group_add("chat_lobby", "interop.py-worker")
        .await
        .unwrap();

    // One at a time: aqueduct hands its own channels a message without
    // Redis, so it could overtake Python's.
    for kind in ["from.python", "from.aqueduct"] {
        if kind == "from.python" {
            py.group_send("chat_lobby", &rich(kind)).await;
        } else {
            let report = rust.group_send("chat_lobby", event(&rich(kind))).await;
            assert_eq!(report.unwrap().delivered, 5);
        }
        for channel in ours
            .iter()
            .map(String::as_str)
            .chain(["interop.rust-worker"])
        {
            assert_eq!(received(&rust, channel).await, rich(kind), "{channel}");
        }
        for channel in [theirs.as_str(), "interop.py-worker"] {
            assert_eq!(
                python_received(&mut py, channel).await,
                rich(kind),
                "{channel}"
            );
        }
    }
    rust.flush().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_message_crosses_both_ways() {
    let Some((mut py, rust)) = peers().await else {
        return;
    };
    let message = large();
    assert!(event(&message).as_msgpack().len() > 1_000_000);

    let ours = rust.new_channel("specific").await.unwrap();
    py.send(&ours, &message).await;
    assert_eq!(received(&rust, &ours).await, message);

    let theirs = py.new_channel().await;
    rust.group_add("big", &theirs).await.unwrap();
    rust.group_send("big", event(&message)).await.unwrap();
    assert_eq!(python_received(&mut py, &theirs).await, message);
    rust.flush().await.unwrap();
}

/// Both sides encrypt with a shared `symmetric_encryption_keys` key: what
/// lies in Redis is a Fernet token, and each side reads the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_encryption_key_works_both_ways() {
    let Some(hosts) = shared_redis() else { return };
    let prefix = unique_prefix();
    let keys = ["a secret shared with Django"];
    let Some(mut py) = channels_redis(&hosts, &prefix, &keys) else {
        return;
    };
    let rust = aqueduct(&hosts, &prefix, &keys).await;

    py.send("interop.sealed", &rich("sealed.by.python")).await;
    let stored = stored_messages(&hosts[0], &format!("{prefix}interop.sealed")).await;
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0][12..].starts_with(b"gAAAAA"),
        "Redis holds a Fernet token after the 12-byte random prefix"
    );
    assert_eq!(
        received(&rust, "interop.sealed").await,
        rich("sealed.by.python")
    );

    let ours = rust.new_channel("specific").await.unwrap();
    py.send(&ours, &rich("sealed.local")).await;
    assert_eq!(received(&rust, &ours).await, rich("sealed.local"));

    let theirs = py.new_channel().await;
    rust.group_add("sealed", &theirs).await.unwrap();
    rust.group_send("sealed", event(&rich("sealed.by.aqueduct")))
        .await
        .unwrap();
    assert_eq!(
        python_received(&mut py, &theirs).await,
        rich("sealed.by.aqueduct")
    );
    rust.flush().await.unwrap();
}

/// Rotation as channels_redis documents it: processes still on the old
/// key write with it, an aqueduct process given `[new, old]` reads them
/// and writes with the new key, which Python processes on `[new]` read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_between_python_and_aqueduct() {
    let Some(hosts) = shared_redis() else { return };
    let prefix = unique_prefix();
    let Some(mut old) = channels_redis(&hosts, &prefix, &["old key"]) else {
        return;
    };
    let Some(mut new) = channels_redis(&hosts, &prefix, &["new key"]) else {
        return;
    };
    let rust = aqueduct(&hosts, &prefix, &["new key", "old key"]).await;

    let ours = rust.new_channel("specific").await.unwrap();
    old.send(&ours, &rich("old.key")).await;
    assert_eq!(received(&rust, &ours).await, rich("old.key"));

    let theirs = new.new_channel().await;
    rust.send(&theirs, event(&rich("new.key"))).await.unwrap();
    assert_eq!(python_received(&mut new, &theirs).await, rich("new.key"));

    // And a reader that has no key of the writer's hears nothing.
    let lonely = aqueduct(&hosts, &prefix, &["unrelated key"]).await;
    let channel = lonely.new_channel("specific").await.unwrap();
    old.send(&channel, &rich("unreadable")).await;
    let heard = tokio::time::timeout(Duration::from_secs(2), lonely.receive(&channel)).await;
    assert!(heard.is_err(), "a message under another key was read");
    rust.flush().await.unwrap();
}

/// Two private redis-servers, listed in the same order on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharding_over_two_servers_agrees_with_channels_redis() {
    let (Some(first), Some(second)) = (RedisServer::start(), RedisServer::start()) else {
        return;
    };
    let hosts = vec![first.url(), second.url()];
    let prefix = unique_prefix();
    let Some(mut py) = channels_redis(&hosts, &prefix, &[]) else {
        return;
    };
    let rust = aqueduct(&hosts, &prefix, &[]).await;

    // Groups on each host, joined and sent to from both sides.
    for group in ["room_7", "chat_lobby"] {
        let ours = rust.new_channel("specific").await.unwrap();
        let theirs = py.new_channel().await;
        py.group_add(group, &ours).await;
        rust.group_add(group, &theirs).await.unwrap();
        let shard = py.hash(group).await;
        let key = format!("{prefix}:group:{group}");
        assert_eq!(
            members(&hosts[shard], &key).await,
            2,
            "{group} on host {shard}"
        );
        // One at a time: aqueduct hands its own channel a message without
        // Redis, so it could overtake Python's.
        for kind in ["group.python", "group.aqueduct"] {
            if kind == "group.python" {
                py.group_send(group, &rich(kind)).await;
            } else {
                rust.group_send(group, event(&rich(kind))).await.unwrap();
            }
            assert_eq!(received(&rust, &ours).await, rich(kind));
            assert_eq!(python_received(&mut py, &theirs).await, rich(kind));
        }
    }
    assert_eq!(py.hash("room_7").await, 0);
    assert_eq!(py.hash("chat_lobby").await, 1);

    // Named channels spread over both hosts in turn, on both sides.
    for n in 0..2 {
        py.send("interop.rust-worker", &rich(&format!("named.{n}")))
            .await;
        rust.send("interop.py-worker", event(&rich(&format!("named.{n}"))))
            .await
            .unwrap();
    }
    let mut got_rust = Vec::new();
    let mut got_py = Vec::new();
    for _ in 0..2 {
        got_rust.push(received(&rust, "interop.rust-worker").await["type"].clone());
        got_py.push(python_received(&mut py, "interop.py-worker").await["type"].clone());
    }
    for got in [&mut got_rust, &mut got_py] {
        got.sort_by_key(|v| v.to_string());
        assert_eq!(*got, [json!("named.0"), json!("named.1")]);
    }

    // channels_redis#221: Python's `send` hashes the whole name of an
    // aqueduct channel whose reader's part hashes elsewhere.
    let ours = loop {
        let name = rust.new_channel("specific").await.unwrap();
        let head = &name[..=name.find('!').unwrap()];
        if py.hash(&name).await != py.hash(head).await {
            break name;
        }
    };
    py.send(&ours, &rich("issue.221")).await;
    assert_eq!(received(&rust, &ours).await, rich("issue.221"));

    // aqueduct's `send` puts it where a Python reader listens.
    let theirs = loop {
        let name = py.new_channel().await;
        let head = &name[..=name.find('!').unwrap()];
        if py.hash(&name).await != py.hash(head).await {
            break name;
        }
    };
    rust.send(&theirs, event(&rich("to.python.221")))
        .await
        .unwrap();
    assert_eq!(
        python_received(&mut py, &theirs).await,
        rich("to.python.221")
    );

    // What channels_redis 4.3.0 still loses: its own `send` to that
    // channel waits on the host Python's reader never reads.
    py.send(&theirs, &rich("lost.by.python")).await;
    assert_eq!(
        py.receive(&theirs, Duration::from_secs(2)).await,
        None,
        "channels_redis#221 looks fixed: update the notes on sharding"
    );
    let head = &theirs[..=theirs.find('!').unwrap()];
    let wrong_host = py.hash(&theirs).await;
    let stored = stored_messages(&hosts[wrong_host], &format!("{prefix}{head}")).await;
    assert_eq!(
        stored.len(),
        1,
        "the lost message waits on host {wrong_host}"
    );
}

/// The raw members of a sorted set.
async fn stored_messages(url: &str, key: &str) -> Vec<Vec<u8>> {
    support::sorted_set(url, key).await.unwrap()
}

async fn members(url: &str, key: &str) -> usize {
    stored_messages(url, key).await.len()
}
