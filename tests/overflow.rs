//! No silent loss (issue 10, item 7), over real sockets: a room flooded
//! with 4 KiB messages, members that read slowly or never, and what each
//! overflow policy makes of them.
//!
//! Regression: a client flooding a chat room with 20,000 messages while a
//! second client read as fast as it could left the reader with 10,963 of
//! them, and nothing in the log (as Channels does, channels_redis#131).

use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct::{InMemoryConfig, Overflow};
use aqueduct_tests::{Client, LogCapture, Reports, TestServer, connect, reports};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Bytes of text in each flooded message, as in the report.
const SIZE: usize = 4096;

/// What the room group carries: `{"type": "room.message", "text": …}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum RoomEvent {
    #[serde(rename = "room.message")]
    Message { text: String },
}

/// A room where every member hears every text message sent to it, its
/// sender included; sent with `overflow` if it is given, else under the
/// layer's own policy. Reports the code its `disconnect` gets, with the
/// connection's `?who=` query parameter.
struct Room {
    overflow: Option<Overflow>,
    closed: mpsc::UnboundedSender<(String, u16)>,
}

#[async_trait]
impl WebsocketConsumer for Room {
    type Event = RoomEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["room".to_owned()]
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let text = message.as_text().unwrap_or_default().to_owned();
        let event = Event::from_message(&RoomEvent::Message { text })?;
        match self.overflow {
            Some(overflow) => ctx.group_send_with("room", event, overflow).await?,
            None => ctx.group_send("room", event).await?,
        };
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, event: RoomEvent) -> Result {
        let RoomEvent::Message { text } = event;
        ctx.send_text(text).await
    }

    async fn disconnect(&mut self, ctx: &mut Context, code: CloseCode) -> Result {
        let who = ctx
            .scope()
            .query_param("who")
            .unwrap_or_default()
            .into_owned();
        let _ = self.closed.send((who, code.as_u16()));
        Ok(())
    }
}

/// A server of the room at `/ws/room/<name>/` (one group whatever the
/// name: the name tells the tests' log lines apart) on a layer with
/// `config`, each send with `overflow` if given, and the server's write
/// timeout.
async fn room_server(
    config: InMemoryConfig,
    overflow: Option<Overflow>,
    write_timeout: Duration,
) -> (TestServer, Reports<(String, u16)>) {
    let (closed, disconnects) = reports();
    let room = move || Room {
        overflow,
        closed: closed.clone(),
    };
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/room/<name>/", room))
        .with_channel_layer(InMemoryChannelLayer::with_config(config));
    let server = TestServer::start_with(app, |server| {
        server.write_timeout(write_timeout).message_rate(None)
    })
    .await;
    (server, disconnects)
}

/// The code the `disconnect` of the connection `?who=who` got.
async fn disconnect_of(disconnects: &mut Reports<(String, u16)>, who: &str) -> u16 {
    loop {
        let (whose, code) = disconnects.next().await;
        if whose == who {
            return code;
        }
    }
}

/// Message `seq` of a flood: its number in eight digits, then padding to
/// [`SIZE`] bytes.
fn text(seq: u64) -> String {
    format!("{seq:08}{}", "x".repeat(SIZE - 8))
}

/// The number a flooded text starts with.
fn seq_of(text: &str) -> u64 {
    text.get(..8)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("not a flooded message: {:.40}", text))
}

/// The chat example's form of message `seq`: `{"message": text(seq)}`.
fn chat_text(seq: u64) -> String {
    serde_json::json!({ "message": text(seq) }).to_string()
}

fn chat_seq_of(json: &str) -> u64 {
    let value: serde_json::Value = serde_json::from_str(json).expect("chat JSON");
    seq_of(value["message"].as_str().expect("a message"))
}

/// What one client made of a flood.
#[derive(Debug, Default)]
struct Reading {
    /// Messages received, each the one after the last: reading stops at
    /// the first that is not.
    received: u64,
    /// The first message out of order, as (expected, got).
    gap: Option<(u64, u64)>,
    /// The server's close frame: code and reason.
    close: Option<(u16, String)>,
    /// How the connection ended otherwise.
    ended: Option<String>,
}

impl Reading {
    /// The count of missed messages in a 4013 close's reason.
    fn missed(&self) -> u64 {
        let (code, reason) = self.close.as_ref().expect("a close frame");
        assert_eq!(*code, 4013, "{reason}");
        let missed = reason
            .strip_prefix("missed ")
            .and_then(|rest| rest.strip_suffix(" messages: the connection fell behind"))
            .unwrap_or_else(|| panic!("the reason does not say how many: {reason:?}"));
        missed.parse().expect("a count")
    }
}

/// Reads `stream` until `expected` messages arrived in order, a message
/// came out of order, the server closed, or nothing came for `quiet`.
/// Every message received is counted on `progress`.
async fn read(
    mut stream: SplitStream<Client>,
    expected: u64,
    seq_of: fn(&str) -> u64,
    quiet: Duration,
    progress: watch::Sender<u64>,
) -> Reading {
    let mut reading = Reading::default();
    while reading.received < expected {
        let next = match tokio::time::timeout(quiet, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                reading.ended = Some(format!("nothing for {quiet:?}"));
                break;
            }
        };
        match next {
            Some(Ok(WsMessage::Text(text))) => {
                let got = seq_of(&text);
                if got != reading.received {
                    reading.gap = Some((reading.received, got));
                    break;
                }
                reading.received += 1;
                progress.send_replace(reading.received);
            }
            Some(Ok(WsMessage::Close(frame))) => {
                reading.close = frame.map(|f| (f.code.into(), f.reason.to_string()));
                break;
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                reading.ended = Some(err.to_string());
                break;
            }
            None => {
                reading.ended = Some("end of stream".into());
                break;
            }
        }
    }
    reading
}

/// Spawns a reader of `client` (see [`read`]); its progress can be watched.
fn spawn_reader(
    client: Client,
    expected: u64,
    seq_of: fn(&str) -> u64,
    quiet: Duration,
) -> (JoinHandle<Reading>, watch::Receiver<u64>) {
    let (progress, watched) = watch::channel(0);
    let (_, stream) = client.split();
    let task = tokio::spawn(read(stream, expected, seq_of, quiet, progress));
    (task, watched)
}

/// Sends `count` messages made by `make` as fast as the socket takes them.
/// With `pace`, sends at most `window` ahead of what that reader has.
async fn flood(
    sink: &mut SplitSink<Client, WsMessage>,
    count: u64,
    make: fn(u64) -> String,
    mut pace: Option<(watch::Receiver<u64>, u64)>,
) {
    for seq in 0..count {
        if let Some((reader, window)) = &mut pace {
            let window = *window;
            tokio::time::timeout(
                Duration::from_secs(10),
                reader.wait_for(|&read| read + window > seq),
            )
            .await
            .expect("the paced reader stopped reading")
            .expect("the paced reader is gone");
        }
        sink.send(WsMessage::text(make(seq)))
            .await
            .expect("flood send");
    }
}

/// A flooder: a client whose own echoes are drained (and dropped) while
/// it sends, so that it is no slow reader itself.
async fn flooder(url: &str) -> (SplitSink<Client, WsMessage>, JoinHandle<()>) {
    let (sink, mut stream) = connect(url).await.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    (sink, drain)
}

/// A client whose socket buffers a few kilobytes at most, so that a
/// server writing to it while it does not read blocks soon.
async fn small_buffered_client(url: &str, addr: std::net::SocketAddr) -> Client {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (client, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .expect("handshake");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_chat_reader_gets_every_message_or_is_closed_with_4013() {
    const COUNT: u64 = 20_000;
    let capture = LogCapture::global();
    // The flooder is the abuse the message rate limit stops (close 1008);
    // this test is about what reaches the reader when nothing stops it.
    let server =
        TestServer::start_with(example_chat::app(), |server| server.message_rate(None)).await;
    let url = server.ws("/ws/chat/flood/");
    let quiet = Duration::from_secs(10);
    let (reader, _) = spawn_reader(connect(&url).await, COUNT, chat_seq_of, quiet);
    let (mut sink, drain) = flooder(&url).await;

    flood(&mut sink, COUNT, chat_text, None).await;
    let reading = reader.await.unwrap();
    eprintln!("the reader of the flood: {reading:?}");
    assert_eq!(reading.gap, None, "a message went missing without a close");
    assert_eq!(reading.ended, None, "{reading:?}");
    if reading.received < COUNT {
        let missed = reading.missed();
        assert!(missed > 0, "{reading:?}");
        capture
            .wait_for(&[
                "WARN",
                "path=/ws/chat/flood/",
                &format!("missed={missed}"),
                "closing with 4013",
            ])
            .await;
    } else {
        assert_eq!(
            reading.close, None,
            "every message, then a close: {reading:?}"
        );
    }
    drop(sink);
    drain.abort();
    server.shutdown().await;
}

/// Three members of a room on a test server: one that reads nothing until
/// asked to (`?who=slow`, its socket buffers kept small), one that reads
/// everything as it comes, and a flooder.
struct Members {
    slow: Client,
    normal: JoinHandle<Reading>,
    normal_read: watch::Receiver<u64>,
    sink: SplitSink<Client, WsMessage>,
    drain: JoinHandle<()>,
}

impl Members {
    /// Connects the three to `/ws/room/<name>/`; the normal member expects
    /// `count` messages.
    async fn join(server: &TestServer, name: &str, count: u64) -> Self {
        let url = server.ws(&format!("/ws/room/{name}/"));
        let slow = small_buffered_client(&format!("{url}?who=slow"), server.addr()).await;
        let quiet = Duration::from_secs(10);
        let (normal, normal_read) = spawn_reader(connect(&url).await, count, seq_of, quiet);
        let (sink, drain) = flooder(&url).await;
        Self {
            slow,
            normal,
            normal_read,
            sink,
            drain,
        }
    }

    /// Floods `count` messages, at most 50 ahead of the normal member, whose
    /// channel so never fills, and checks that it got every one.
    async fn flood_paced(&mut self, count: u64) {
        let pace = Some((self.normal_read.clone(), 50));
        flood(&mut self.sink, count, text, pace).await;
        let normal = (&mut self.normal).await.unwrap();
        assert_eq!(normal.received, count, "the normal member: {normal:?}");
    }

    /// Reads what the slow member gets from now on, up to `count`.
    async fn read_slow(self, count: u64, quiet: Duration) -> Reading {
        let Self {
            slow, sink, drain, ..
        } = self;
        let reading = read(slow.split().1, count, seq_of, quiet, watch::channel(0).0).await;
        drop(sink);
        drain.abort();
        reading
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_falls_behind_is_closed_with_4013_and_every_message_accounted_for() {
    // Enough to fill a channel of 100 and the socket buffers before it.
    const COUNT: u64 = 5_000;
    let (server, mut disconnects) =
        room_server(InMemoryConfig::default(), None, Duration::from_secs(60)).await;
    let mut members = Members::join(&server, "behind", COUNT).await;
    members.flood_paced(COUNT).await;

    // Only now does the slow member read: what its socket held, then the close.
    let slow = members.read_slow(COUNT, Duration::from_secs(5)).await;
    eprintln!("the slow member: {slow:?}");
    assert_eq!(slow.gap, None, "{slow:?}");
    assert!(slow.received < COUNT, "{slow:?}");
    // Everything sent to it was either received or counted as missed.
    assert_eq!(slow.received + slow.missed(), COUNT, "{slow:?}");
    assert_eq!(disconnect_of(&mut disconnects, "slow").await, 4013);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_never_reads_is_dropped_by_the_write_timeout_and_its_misses_logged() {
    const COUNT: u64 = 5_000;
    let capture = LogCapture::global();
    let (server, mut disconnects) =
        room_server(InMemoryConfig::default(), None, Duration::from_millis(500)).await;
    let mut members = Members::join(&server, "never", COUNT).await;
    members.flood_paced(COUNT).await;

    // Its consumer waited on a send the client never read: the write
    // timeout dropped the connection, with no close frame to send.
    assert_eq!(disconnect_of(&mut disconnects, "slow").await, 1006);
    let line = capture
        .wait_for(&[
            "WARN",
            "path=/ws/room/never/",
            "connection ended after falling behind",
        ])
        .await;
    let missed: u64 = line
        .split_once("missed=")
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"));

    let never = members.read_slow(COUNT, Duration::from_secs(5)).await;
    eprintln!("the member that never read: {never:?}, missed {missed}");
    assert_eq!(never.gap, None, "{never:?}");
    assert_eq!(never.close, None, "nothing could reach it");
    assert!(never.ended.is_some(), "{never:?}");
    // The connection was dropped while the flood went on: what it missed
    // is counted up to then, and the rest was no longer sent to it.
    assert!(missed > 0 && never.received + missed < COUNT, "{never:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_loses_messages_silently_as_channels_does_but_logs_it() {
    const COUNT: u64 = 5_000;
    let capture = LogCapture::global();
    let config = InMemoryConfig::default().overflow(Overflow::Drop);
    let (server, _) = room_server(config, None, Duration::from_secs(60)).await;
    let mut members = Members::join(&server, "drop", COUNT).await;
    members.flood_paced(COUNT).await;

    let slow = members.read_slow(COUNT, Duration::from_secs(1)).await;
    eprintln!("the slow member under Drop: {slow:?}");
    // The member was sent every message, got fewer, and was told nothing.
    assert!(slow.received < COUNT, "{slow:?}");
    assert_eq!((&slow.gap, &slow.close), (&None, &None), "{slow:?}");
    capture
        .wait_for(&[
            "WARN",
            "group=\"room\"",
            "messages dropped for channels that were full",
        ])
        .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_holds_the_flood_back_until_the_slow_reader_reads_and_loses_nothing() {
    const COUNT: u64 = 3_000;
    let wait = Overflow::Wait(Duration::from_secs(30));
    let (server, _) = room_server(
        InMemoryConfig::default(),
        Some(wait),
        Duration::from_secs(60),
    )
    .await;
    let Members {
        slow,
        normal,
        mut sink,
        drain,
        ..
    } = Members::join(&server, "wait", COUNT).await;
    let flooding = tokio::spawn(async move {
        flood(&mut sink, COUNT, text, None).await;
        sink
    });
    // The slow member starts reading late; the senders wait for it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!flooding.is_finished(), "the flood was not held back");
    let quiet = Duration::from_secs(10);
    let slow = read(slow.split().1, COUNT, seq_of, quiet, watch::channel(0).0).await;
    assert_eq!(
        (slow.received, &slow.gap, &slow.close),
        (COUNT, &None, &None),
        "{slow:?}"
    );
    assert_eq!(normal.await.unwrap().received, COUNT);
    drop(flooding.await.unwrap());
    drain.abort();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_past_its_timeout_closes_the_slow_reader_with_4013() {
    const COUNT: u64 = 5_000;
    let wait = Overflow::Wait(Duration::from_millis(100));
    let (server, mut disconnects) = room_server(
        InMemoryConfig::default(),
        Some(wait),
        Duration::from_secs(60),
    )
    .await;
    let mut members = Members::join(&server, "timeout", COUNT).await;
    members.flood_paced(COUNT).await;

    let slow = members.read_slow(COUNT, Duration::from_secs(5)).await;
    eprintln!("the slow member under Wait: {slow:?}");
    assert_eq!(slow.gap, None, "{slow:?}");
    assert_eq!(slow.received + slow.missed(), COUNT, "{slow:?}");
    assert_eq!(disconnect_of(&mut disconnects, "slow").await, 4013);
    server.shutdown().await;
}
