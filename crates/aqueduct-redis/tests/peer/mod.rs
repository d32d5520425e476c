//! A Python process running channels_redis, driven one JSON command per
//! line (tests/python/channels_peer.py), and the message values both sides
//! compare: JSON with bytes tagged `{"$bytes": "<hex>"}`.
// Each test file uses some of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use aqueduct_core::Event;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// No answer from Python within this is a hung peer: the test fails
/// rather than waits.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// One channels_redis layer in a Python process of its own.
pub struct PythonPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl PythonPeer {
    /// Starts `channels_redis.core.RedisChannelLayer(**config)`.
    pub fn start(python: &Path, config: Value) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/channels_peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the Python peer");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one command and returns its answer, panicking on an error.
    pub async fn call(&mut self, command: Value) -> Value {
        let answer = self.ask(&command).await;
        if let Some(error) = answer.get("error") {
            panic!("channels_redis failed {command:.200}: {error}");
        }
        answer
    }

    async fn ask(&mut self, command: &Value) -> Value {
        let mut line = command.to_string();
        line.push('\n');
        let exchange = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.flush().await?;
            self.stdout.next_line().await
        };
        match tokio::time::timeout(ANSWER_TIMEOUT, exchange).await {
            Ok(Ok(Some(answer))) => serde_json::from_str(&answer).expect("a JSON answer"),
            Ok(Ok(None)) => panic!("the Python peer exited: {:?}", self.child.try_wait()),
            Ok(Err(err)) => panic!("cannot talk to the Python peer: {err}"),
            Err(_) => panic!("the Python peer did not answer within {ANSWER_TIMEOUT:?}"),
        }
    }

    pub async fn new_channel(&mut self) -> String {
        let answer = self.call(json!({"op": "new_channel"})).await;
        answer["ok"].as_str().unwrap().to_owned()
    }

    pub async fn send(&mut self, channel: &str, message: &Value) {
        let command = json!({"op": "send", "channel": channel, "message": message});
        self.call(command).await;
    }

    /// The next message on `channel`, `None` if none came within `timeout`.
    pub async fn receive(&mut self, channel: &str, timeout: Duration) -> Option<Value> {
        let command =
            json!({"op": "receive", "channel": channel, "timeout": timeout.as_secs_f64()});
        let answer = self.call(command).await;
        answer.get("ok").cloned()
    }

    pub async fn group_add(&mut self, group: &str, channel: &str) {
        self.call(json!({"op": "group_add", "group": group, "channel": channel}))
            .await;
    }

    pub async fn group_send(&mut self, group: &str, message: &Value) {
        self.call(json!({"op": "group_send", "group": group, "message": message}))
            .await;
    }

    /// channels_redis's shard for `name` (its `consistent_hash`).
    pub async fn hash(&mut self, name: &str) -> usize {
        let answer = self.call(json!({"op": "hash", "name": name})).await;
        answer["ok"].as_u64().unwrap() as usize
    }
}

/// An aqueduct event holding exactly the message `value` describes.
pub fn event(value: &Value) -> Event {
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &to_msgpack(value)).unwrap();
    Event::from_msgpack(body.into()).expect("a message with a type")
}

/// What an aqueduct event holds, as the tagged JSON the tests compare.
pub fn value(event: &Event) -> Value {
    let decoded = rmpv::decode::read_value(&mut &event.as_msgpack()[..]).unwrap();
    from_msgpack(&decoded)
}

fn to_msgpack(value: &Value) -> rmpv::Value {
    match value {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => rmpv::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => rmpv::Value::from(i),
            (None, Some(u)) => rmpv::Value::from(u),
            (None, None) => rmpv::Value::F64(n.as_f64().unwrap()),
        },
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::Array(items) => rmpv::Value::Array(items.iter().map(to_msgpack).collect()),
        Value::Object(map) => match map.get("$bytes") {
            Some(Value::String(hex)) if map.len() == 1 => rmpv::Value::Binary(unhex(hex)),
            _ => rmpv::Value::Map(
                map.iter()
                    .map(|(k, v)| (rmpv::Value::from(k.as_str()), to_msgpack(v)))
                    .collect(),
            ),
        },
    }
}

fn from_msgpack(value: &rmpv::Value) -> Value {
    match value {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Bool(*b),
        rmpv::Value::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => json!(i),
            (None, Some(u)) => json!(u),
            _ => unreachable!(),
        },
        rmpv::Value::F32(f) => json!(f64::from(*f)),
        rmpv::Value::F64(f) => json!(f),
        rmpv::Value::String(s) => Value::String(s.as_str().expect("UTF-8 text").to_owned()),
        rmpv::Value::Binary(b) => json!({ "$bytes": hex(b) }),
        rmpv::Value::Array(items) => Value::Array(items.iter().map(from_msgpack).collect()),
        rmpv::Value::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_owned(), from_msgpack(v)))
                .collect(),
        ),
        rmpv::Value::Ext(..) => panic!("an ext type in a channel-layer message"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
