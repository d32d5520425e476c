//! `RedisPubSubChannelLayer` against real Redis servers, and against
//! Python's `channels_redis.pubsub` driven through `python/pubsub_peer.py`.

mod support;

use std::future::Future;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aqueduct_core::{ChannelLayer, Event, LayerError};
use aqueduct_redis::{RedisConfig, RedisPubSubChannelLayer};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use fernet::Fernet;
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{RedisServer, python, redis_available, redis_url, unique_prefix};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tracing_subscriber::fmt::MakeWriter;

/// How long anything that should happen may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

fn chat(text: &str) -> Event {
    Event::new("chat.message", &json!({ "message": text })).unwrap()
}

fn chat_json(text: &str) -> Value {
    json!({ "type": "chat.message", "message": text })
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

/// Receives on `channel`, or fails the test.
async fn received(layer: &RedisPubSubChannelLayer, channel: &str) -> Value {
    let event = within(channel, layer.receive(channel)).await.unwrap();
    event.decode().unwrap()
}

/// Whether nothing arrives on `channel` for a while.
async fn hears_nothing(layer: &RedisPubSubChannelLayer, channel: &str) -> bool {
    tokio::time::timeout(Duration::from_millis(500), layer.receive(channel))
        .await
        .is_err()
}

/// A fresh prefix on the shared Redis; `None` (after a SKIPPED line)
/// without it.
fn shared_redis() -> Option<(String, [String; 1])> {
    redis_available().then(|| (unique_prefix(), [redis_url()]))
}

async fn pubsub(prefix: &str, hosts: &[String], key: Option<&str>) -> RedisPubSubChannelLayer {
    let mut config = RedisConfig::new()
        .prefix(prefix)
        .hosts(hosts.iter().cloned());
    if let Some(key) = key {
        config = config.symmetric_encryption_key(key);
    }
    RedisPubSubChannelLayer::connect(config)
        .await
        .expect("connect to the test Redis")
}

/// How many connections of any process `url`'s server has subscribed to `name`.
fn subscribers(url: &str, name: &str) -> i64 {
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(name)
        .query(&mut conn)
        .unwrap();
    counts[0].1
}

/// The next message published on `name`, as bytes on the wire.
async fn next_published(url: &str, name: &str, publish: impl Future<Output = ()>) -> Vec<u8> {
    let client = redis::Client::open(url).unwrap();
    let mut raw = client.get_async_pubsub().await.unwrap();
    raw.subscribe(name).await.unwrap();
    publish.await;
    let message = within(name, raw.on_message().next()).await.unwrap();
    message.get_payload_bytes().to_vec()
}

fn assert_channel_name(name: &str, prefix: &str) {
    let hex = name
        .strip_prefix(&format!("{prefix}specific."))
        .unwrap_or_else(|| panic!("{name} is not {prefix}specific.<hex>"));
    assert!(
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
}

/// Two processes' layers share groups and send to each other's channels;
/// each process subscribes only while it has a reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_layers_share_groups_and_send_to_each_others_channels() {
    let Some((prefix, hosts)) = shared_redis() else {
        return;
    };
    let url = &hosts[0];
    let a = pubsub(&prefix, &hosts, None).await;
    let b = pubsub(&prefix, &hosts, None).await;
    let (a1, a2) = (
        a.new_channel("specific").await.unwrap(),
        a.new_channel("specific").await.unwrap(),
    );
    let b1 = b.new_channel("specific").await.unwrap();
    assert_channel_name(&a1, &prefix);

    a.send(&b1, chat("to b")).await.unwrap();
    assert_eq!(received(&b, &b1).await, chat_json("to b"));
    b.send(&a1, chat("to a")).await.unwrap();
    assert_eq!(received(&a, &a1).await, chat_json("to a"));

    for (layer, channel) in [(&a, &a1), (&a, &a2), (&b, &b1)] {
        layer.group_add("chat_lobby", channel).await.unwrap();
    }
    let report = b.group_send("chat_lobby", chat("all")).await.unwrap();
    assert_eq!(
        report.delivered, 2,
        "two processes subscribed, three members"
    );
    for (layer, channel) in [(&a, &a1), (&a, &a2), (&b, &b1)] {
        assert_eq!(received(layer, channel).await, chat_json("all"));
    }

    let foreign = a.group_add("chat_lobby", &b1).await.unwrap_err();
    assert!(
        matches!(foreign, LayerError::InvalidChannelName { .. }),
        "{foreign}"
    );
    assert!(foreign.to_string().contains("new_channel"), "{foreign}");

    b.group_discard("chat_lobby", &b1).await.unwrap();
    let report = a.group_send("chat_lobby", chat("a only")).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(received(&a, &a1).await, chat_json("a only"));
    assert!(hears_nothing(&b, &b1).await, "b left the group");

    let group = format!("{prefix}__group__chat_lobby");
    a.close_channel(&a1).await.unwrap();
    assert_eq!(subscribers(url, &group), 1, "a2 is still a member");
    a.close_channel(&a2).await.unwrap();
    assert_eq!(subscribers(url, &group), 0, "no member of a is left");
    assert_eq!(subscribers(url, &a1), 0, "a closed its channel");
    assert_eq!(subscribers(url, &b1), 1);
}

/// On the wire: msgpack with no random prefix, or a Fernet token, on the
/// channel's own name and on `{prefix}__group__{group}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_is_channels_redis_pubsubs() {
    let Some((prefix, hosts)) = shared_redis() else {
        return;
    };
    let url = &hosts[0];
    let clear = pubsub(&prefix, &hosts, None).await;
    let bytes = next_published(url, &format!("{prefix}__group__news"), async {
        clear.group_send("news", chat("plain")).await.unwrap();
    })
    .await;
    assert_eq!(bytes, chat("plain").as_msgpack()[..]);

    let secret = pubsub(&prefix, &hosts, Some("k")).await;
    let bytes = next_published(url, "worker", async {
        secret.send("worker", chat("hidden")).await.unwrap();
    })
    .await;
    assert!(
        bytes.starts_with(b"gAAAAA"),
        "a Fernet token, not {bytes:?}"
    );

    // channels_redis.pubsub sets no ttl: a token a day old is still read.
    let channel = secret.new_channel("specific").await.unwrap();
    let key = URL_SAFE.encode(Sha256::digest(b"k"));
    let day_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 86_400;
    let token = Fernet::new(&key)
        .unwrap()
        .encrypt_at_time(chat("old").as_msgpack(), day_ago);
    let mut conn = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("PUBLISH")
        .arg(&channel)
        .arg(token)
        .exec(&mut conn)
        .unwrap();
    assert_eq!(received(&secret, &channel).await, chat_json("old"));
}

/// Runs `python/pubsub_peer.py`: channels_redis.pubsub, unchanged.
struct PythonPeer {
    child: Child,
    stdin: ChildStdin,
    answers: Lines<BufReader<ChildStdout>>,
}

impl PythonPeer {
    /// `None` (after a SKIPPED line) without Python and channels_redis.
    fn start(prefix: &str, hosts: &[String], key: Option<&str>) -> Option<Self> {
        let python = python()?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/pubsub_peer.py");
        let mut command = Command::new(python);
        command.arg(script).args(["--prefix", prefix]);
        for host in hosts {
            command.args(["--host", host]);
        }
        if let Some(key) = key {
            command.args(["--key", key]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start pubsub_peer.py");
        let stdin = child.stdin.take().unwrap();
        let answers = BufReader::new(child.stdout.take().unwrap()).lines();
        Some(Self {
            child,
            stdin,
            answers,
        })
    }

    /// Sends one command and returns its answer, failing the test on an error.
    async fn ask(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        let answer = within(
            &format!("python answering {command}"),
            self.answers.next_line(),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("python exited: {:?}", self.child.try_wait()));
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert!(
            answer.get("error").is_none(),
            "python: {answer} to {command}"
        );
        answer
    }

    async fn new_channel(&mut self) -> String {
        let answer = self.ask(json!({"op": "new_channel"})).await;
        answer["channel"].as_str().unwrap().to_owned()
    }

    async fn receive(&mut self, channel: &str) -> Value {
        let answer = self.ask(json!({"op": "receive", "channel": channel})).await;
        answer["message"].clone()
    }
}

/// A channels_redis process and an aqueduct layer on the same hosts, each
/// with a channel of its own.
type Peers = (PythonPeer, String, RedisPubSubChannelLayer, String);

/// `None` (after a SKIPPED line) without Python and channels_redis.
async fn peers(prefix: &str, hosts: &[String], key: Option<&str>) -> Option<Peers> {
    let mut py = PythonPeer::start(prefix, hosts, key)?;
    let rust = pubsub(prefix, hosts, key).await;
    let on_py = py.new_channel().await;
    let on_rust = rust.new_channel("specific").await.unwrap();
    Some((py, on_py, rust, on_rust))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_aqueduct_send_to_each_others_channels() {
    let Some((prefix, hosts)) = shared_redis() else {
        return;
    };
    let Some((mut py, on_py, rust, on_rust)) = peers(&prefix, &hosts, None).await else {
        return;
    };
    assert_channel_name(&on_py, &prefix);

    rust.send(&on_py, chat("from rust")).await.unwrap();
    assert_eq!(py.receive(&on_py).await, chat_json("from rust"));
    let send = json!({"op": "send", "channel": on_rust, "message": chat_json("from python")});
    py.ask(send).await;
    assert_eq!(received(&rust, &on_rust).await, chat_json("from python"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_aqueduct_share_a_group() {
    let Some((prefix, hosts)) = shared_redis() else {
        return;
    };
    let Some((mut py, on_py, rust, on_rust)) = peers(&prefix, &hosts, None).await else {
        return;
    };
    py.ask(json!({"op": "group_add", "group": "chat_lobby", "channel": on_py}))
        .await;
    rust.group_add("chat_lobby", &on_rust).await.unwrap();

    let report = rust
        .group_send("chat_lobby", chat("hi from rust"))
        .await
        .unwrap();
    assert_eq!(report.delivered, 2, "both processes are subscribed");
    assert_eq!(py.receive(&on_py).await, chat_json("hi from rust"));
    assert_eq!(received(&rust, &on_rust).await, chat_json("hi from rust"));

    let send =
        json!({"op": "group_send", "group": "chat_lobby", "message": chat_json("hi from python")});
    py.ask(send).await;
    assert_eq!(py.receive(&on_py).await, chat_json("hi from python"));
    assert_eq!(received(&rust, &on_rust).await, chat_json("hi from python"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_aqueduct_share_an_encryption_key() {
    let Some((prefix, hosts)) = shared_redis() else {
        return;
    };
    let url = &hosts[0];
    let key = Some("a secret shared with the Django settings");
    let Some((mut py, on_py, rust, on_rust)) = peers(&prefix, &hosts, key).await else {
        return;
    };
    let stranger = pubsub(&prefix, &hosts, Some("another key")).await;
    let on_stranger = stranger.new_channel("specific").await.unwrap();
    py.ask(json!({"op": "group_add", "group": "vault", "channel": on_py}))
        .await;
    rust.group_add("vault", &on_rust).await.unwrap();
    stranger.group_add("vault", &on_stranger).await.unwrap();

    let bytes = next_published(url, &on_py, async {
        rust.send(&on_py, chat("sealed")).await.unwrap();
    })
    .await;
    assert!(
        bytes.starts_with(b"gAAAAA"),
        "a Fernet token, not {bytes:?}"
    );
    assert_eq!(py.receive(&on_py).await, chat_json("sealed"));

    let send =
        json!({"op": "group_send", "group": "vault", "message": chat_json("for keyholders")});
    py.ask(send).await;
    assert_eq!(received(&rust, &on_rust).await, chat_json("for keyholders"));
    assert!(
        hears_nothing(&stranger, &on_stranger).await,
        "a layer with another key cannot read it"
    );
}

/// What the layer logs, for a test on one thread: every task of a
/// current-thread runtime logs to the test's own subscriber.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn count(&self, text: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(text)
            .count()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

/// Sends `event` with `send` until `channel` hears it; fails if that takes
/// more than 5 s from `since`.
async fn until_heard<F, Fut>(
    (layer, channel): (&RedisPubSubChannelLayer, &str),
    since: Instant,
    event: Event,
    send: F,
) where
    F: Fn(Event) -> Fut,
    Fut: Future<Output = Result<(), LayerError>>,
{
    loop {
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "{channel} heard nothing within 5 s of the restart"
        );
        let sent = send(event.clone()).await;
        let heard = tokio::time::timeout(Duration::from_millis(200), layer.receive(channel));
        if sent.is_ok()
            && heard
                .await
                .is_ok_and(|heard| heard.is_ok_and(|e| e == event))
        {
            return;
        }
    }
}

/// A private server with a layer on it, and a channel of that layer in a group.
async fn private_layer() -> Option<(RedisServer, RedisPubSubChannelLayer, String)> {
    let server = RedisServer::start()?;
    let layer = pubsub("asgi", &[server.url()], None).await;
    let channel = layer.new_channel("specific").await.unwrap();
    layer.group_add("chat_lobby", &channel).await.unwrap();
    layer
        .group_send("chat_lobby", chat("before"))
        .await
        .unwrap();
    assert_eq!(received(&layer, &channel).await, chat_json("before"));
    Some((server, layer, channel))
}

/// A restart of Redis: sends fail naming the host meanwhile, logged once,
/// then the same layer and the same channels hear messages again by
/// themselves, and so does a channel made during the outage.
#[tokio::test]
async fn messages_flow_again_after_redis_restarts() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let Some((mut server, layer, channel)) = private_layer().await else {
        return;
    };

    server.kill();
    let host = format!("127.0.0.1:{}", server.port);
    for _ in 0..3 {
        let err = layer.send(&channel, chat("lost")).await.unwrap_err();
        assert!(err.to_string().contains(&host), "{err}");
        let err = layer
            .group_send("chat_lobby", chat("lost"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(&host), "{err}");
        // Meanwhile the subscriber tries to connect again, and fails too.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let late = layer.new_channel("specific").await.unwrap();
    layer.group_add("chat_lobby", &late).await.unwrap();
    assert_eq!(
        log.count("Redis is unreachable"),
        1,
        "logged once per outage"
    );

    server.restart();
    let restarted = Instant::now();
    let group_send = |event| async { layer.group_send("chat_lobby", event).await.map(drop) };
    until_heard((&layer, &channel), restarted, chat("group"), group_send).await;
    until_heard((&layer, &late), restarted, chat("group"), group_send).await;
    let send = |event| layer.send(&channel, event);
    until_heard((&layer, &channel), restarted, chat("sent"), send).await;
    let send = |event| layer.send(&late, event);
    until_heard((&layer, &late), restarted, chat("sent"), send).await;
    assert_eq!(log.count("Redis is unreachable"), 1, "the same outage");
    assert_eq!(log.count("Redis is reachable again"), 1);
}

/// Regression: the first send after a restart nobody sent through failed
/// on the socket Redis had broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_send_after_a_quiet_restart_goes_through() {
    let Some((mut server, layer, channel)) = private_layer().await else {
        return;
    };
    server.restart();
    let restarted = Instant::now();
    while subscribers(&server.url(), &channel) == 0 {
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "not subscribed again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    layer.send(&channel, chat("first")).await.unwrap();
    assert_eq!(received(&layer, &channel).await, chat_json("first"));
}

/// Over two servers, aqueduct and channels_redis put every channel and
/// group on the same server, and messages cross both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_agree_with_channels_redis() {
    let (Some(first), Some(second)) = (RedisServer::start(), RedisServer::start()) else {
        return;
    };
    let hosts = [first.url(), second.url()];
    let Some((mut py, on_py, rust, on_rust)) = peers("asgi", &hosts, None).await else {
        return;
    };
    // Three of these hash to each server by channels_redis's reckoning, and
    // each plausible mistake (hashing the bare group name, leaving out the
    // prefix, the core layer's `asgi:group:` key) moves some of them.
    let groups = [
        "chat_lobby",
        "chat_kitchen",
        "alpha",
        "gamma",
        "room_8",
        "chat_attic",
    ];
    let mut used = [0, 0];
    for group in groups {
        py.ask(json!({"op": "group_add", "group": group, "channel": on_py}))
            .await;
        rust.group_add(group, &on_rust).await.unwrap();
        let name = format!("asgi__group__{group}");
        let counts = hosts.each_ref().map(|url| subscribers(url, &name));
        assert!(
            counts.contains(&2) && counts.contains(&0),
            "{name}: {counts:?}"
        );
        used[usize::from(counts[1] == 2)] += 1;
    }
    assert_eq!(used, [3, 3], "groups per server");

    for group in groups {
        let report = rust.group_send(group, chat(group)).await.unwrap();
        assert_eq!(report.delivered, 2, "{group}");
        assert_eq!(py.receive(&on_py).await, chat_json(group));
        assert_eq!(received(&rust, &on_rust).await, chat_json(group));
    }
    rust.send(&on_py, chat("direct")).await.unwrap();
    assert_eq!(py.receive(&on_py).await, chat_json("direct"));
    py.ask(json!({"op": "send", "channel": on_rust, "message": chat_json("back")}))
        .await;
    assert_eq!(received(&rust, &on_rust).await, chat_json("back"));
}
