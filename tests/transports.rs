//! The long-polling and SSE transports (issue 11), and the WebSocket
//! heartbeat of `aqueduct.js`, over real loopback sockets: the protocol
//! of `docs/topics/client.md` as a client other than `aqueduct.js` would
//! speak it.

use std::net::SocketAddr;
use std::time::Duration;

use aqueduct::Transports;
use aqueduct::middleware::AllowedHostsOriginValidator;
use aqueduct::prelude::*;
use aqueduct_tests::{
    HttpReply, Reports, TestServer, WAIT, connect, http_request_with, recv_text, reports, send_text,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What the probe's group carries: `{"type": "probe.say", "text": …}`.
#[derive(Deserialize)]
#[serde(tag = "type")]
enum ProbeEvent {
    #[serde(rename = "probe.say")]
    Say { text: String },
}

/// Says which transport it is on and what query string it got, echoes
/// every text message, forwards its group's events, and reports the code
/// its `disconnect` gets.
struct Probe {
    closed: mpsc::UnboundedSender<u16>,
}

#[async_trait]
impl WebsocketConsumer for Probe {
    type Event = ProbeEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["probe".to_owned()]
    }

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        if ctx.scope().query_param("deny").is_some() {
            return ctx.deny().await;
        }
        ctx.accept().await?;
        let hello = format!(
            "transport={} query={}",
            ctx.scope().transport(),
            ctx.scope().query_string()
        );
        ctx.send_text(hello).await
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        ctx.send(message).await
    }

    async fn event(&mut self, ctx: &mut Context, event: ProbeEvent) -> Result {
        let ProbeEvent::Say { text } = event;
        ctx.send_text(text).await
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        let _ = self.closed.send(code.as_u16());
        Ok(())
    }
}

struct Setup {
    server: TestServer,
    closed: Reports<u16>,
    layer: InMemoryChannelLayer,
}

async fn serve(
    transports: Transports,
    configure: impl FnOnce(aqueduct::Server) -> aqueduct::Server,
) -> Setup {
    let (closed, reported) = reports();
    let layer = InMemoryChannelLayer::new();
    let probe = move || Probe {
        closed: closed.clone(),
    };
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/probe/", probe))
        .with_channel_layer(layer.clone())
        .transports(transports);
    let server = TestServer::start_with(app, configure).await;
    Setup {
        server,
        closed: reported,
        layer,
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A long-polling client, speaking the protocol by hand.
struct Session {
    addr: SocketAddr,
    id: String,
    /// The number of the next message this client sends.
    next: u64,
}

impl Session {
    async fn open(addr: SocketAddr, query: &str) -> Self {
        let reply = open(addr, query, &[JSON]).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let opened: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(opened["poll_timeout_ms"], 30_000);
        Self {
            addr,
            id: opened["session"].as_str().unwrap().to_owned(),
            next: 1,
        }
    }

    async fn poll(&self, ack: u64) -> Vec<Value> {
        let reply = self.poll_reply(ack).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let polled: Value = serde_json::from_str(&reply.body).unwrap();
        polled["messages"].as_array().unwrap().clone()
    }

    async fn poll_reply(&self, ack: u64) -> HttpReply {
        let path = format!(
            "/ws/probe/?transport=longpoll&session={}&ack={ack}",
            self.id
        );
        http_request_with(self.addr, "GET", &path, &[], "").await
    }

    async fn send_batch(&self, seq: u64, texts: &[&str]) -> HttpReply {
        let messages: Vec<Value> = texts.iter().map(|text| json!({ "text": text })).collect();
        self.post(json!({ "seq": seq, "messages": messages })).await
    }

    async fn send(&mut self, texts: &[&str]) {
        let reply = self.send_batch(self.next, texts).await;
        assert_eq!(reply.status, 204, "{reply:?}");
        self.next += texts.len() as u64;
    }

    async fn post(&self, body: Value) -> HttpReply {
        let path = format!("/ws/probe/?transport=longpoll&session={}", self.id);
        http_request_with(self.addr, "POST", &path, &[JSON], &body.to_string()).await
    }
}

async fn open(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> HttpReply {
    let path = format!("/ws/probe/?transport=longpoll{query}");
    http_request_with(addr, "POST", &path, headers, "{}").await
}

/// The texts of `items`, in order, checking that they are numbered from
/// `first` without a gap.
fn texts(items: &[Value], first: u64) -> Vec<String> {
    items
        .iter()
        .zip(first..)
        .map(|(item, seq)| {
            assert_eq!(item["seq"], seq, "{items:?}");
            item["text"]
                .as_str()
                .unwrap_or_else(|| panic!("not text: {item}"))
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_websocket_heartbeat_is_answered_by_the_server_when_asked_for() {
    let setup = serve(Transports::new(), |server| server).await;

    let mut asked = connect(&setup.server.ws("/ws/probe/?aqueduct-heartbeat=1&room=a")).await;
    // The consumer never sees the driver's own parameter.
    assert_eq!(
        recv_text(&mut asked).await,
        "transport=websocket query=room=a"
    );
    send_text(&mut asked, "aqueduct:ping").await;
    assert_eq!(recv_text(&mut asked).await, "aqueduct:pong");
    send_text(&mut asked, "after").await;
    assert_eq!(
        recv_text(&mut asked).await,
        "after",
        "the ping reached the consumer"
    );

    // Without the parameter the ping is the application's message.
    let mut plain = connect(&setup.server.ws("/ws/probe/")).await;
    assert_eq!(recv_text(&mut plain).await, "transport=websocket query=");
    send_text(&mut plain, "aqueduct:ping").await;
    assert_eq!(recv_text(&mut plain).await, "aqueduct:ping");
}

#[tokio::test]
async fn a_consumer_runs_over_long_polling_in_order_and_without_duplicates() {
    let mut setup = serve(Transports::new(), |server| server).await;
    let addr = setup.server.addr();
    let mut session = Session::open(addr, "&room=a").await;

    session.send(&["one", "two", "three"]).await;
    // A send retried after its answer was lost: skipped, not delivered again.
    let retried = session.send_batch(2, &["two", "three"]).await;
    assert_eq!(retried.status, 204, "{retried:?}");
    session.send(&["four"]).await;

    let mut received = Vec::new();
    let mut ack = 0;
    while received.len() < 5 {
        let items = session.poll(ack).await;
        received.extend(texts(&items, ack + 1));
        ack += items.len() as u64;
    }
    assert_eq!(
        received,
        [
            "transport=longpoll query=room=a",
            "one",
            "two",
            "three",
            "four"
        ]
    );

    // A poll retried with the same ack gets what the lost answer had.
    let again = session.poll(3).await;
    assert_eq!(texts(&again, 4), ["three", "four"]);

    // Events from the layer reach the session like a WebSocket's.
    let event = Event::new("probe.say", &json!({"text": "from the layer"})).unwrap();
    setup.layer.group_send("probe", event).await.unwrap();
    let items = session.poll(5).await;
    assert_eq!(texts(&items, 6), ["from the layer"]);

    // The client closes; the consumer sees its code.
    let reply = session
        .post(json!({"seq": session.next, "close": {"code": 4000, "reason": "bye"}}))
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(setup.closed.next().await, 4000);
    assert_eq!(session.poll_reply(6).await.status, 404);
}

#[tokio::test]
async fn a_poll_waits_for_what_the_consumer_sends_and_a_newer_poll_replaces_it() {
    let setup = serve(Transports::new(), |server| server).await;
    let mut session = Session::open(setup.server.addr(), "").await;
    assert_eq!(session.poll(0).await.len(), 1);

    let waiting = {
        let id = session.id.clone();
        let addr = session.addr;
        tokio::spawn(async move {
            let path = format!("/ws/probe/?transport=longpoll&session={id}&ack=1");
            http_request_with(addr, "GET", &path, &[], "").await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    session.send(&["wakes the poll"]).await;
    let reply = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    let polled: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        texts(polled["messages"].as_array().unwrap(), 2),
        ["wakes the poll"]
    );

    let first = {
        let id = session.id.clone();
        let addr = session.addr;
        tokio::spawn(async move {
            let path = format!("/ws/probe/?transport=longpoll&session={id}&ack=2");
            http_request_with(addr, "GET", &path, &[], "").await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = {
        let id = session.id.clone();
        let addr = session.addr;
        tokio::spawn(async move {
            let path = format!("/ws/probe/?transport=longpoll&session={id}&ack=2");
            http_request_with(addr, "GET", &path, &[], "").await
        })
    };
    let first = tokio::time::timeout(WAIT, first).await.unwrap().unwrap();
    assert_eq!(first.status, 409, "{first:?}");
    session.send(&["to the second"]).await;
    let second = tokio::time::timeout(WAIT, second).await.unwrap().unwrap();
    assert!(second.body.contains("to the second"), "{second:?}");
}

/// A request and the status it gets: method, path, headers, status.
type Row<'a> = (&'a str, String, &'a [(&'a str, &'a str)], u16);

#[tokio::test]
async fn bad_and_forged_session_ids_get_4xx() {
    let setup = serve(Transports::new(), |server| server).await;
    let addr = setup.server.addr();
    let forged = "0123456789abcdef0123456789abcdef";
    #[rustfmt::skip]
    let table: [Row<'_>; 7] = [
        ("GET",  "/ws/probe/?transport=longpoll&session=nope&ack=0".into(),          &[],     400),
        ("GET",  format!("/ws/probe/?transport=longpoll&session={forged}&ack=0"),    &[],     404),
        ("GET",  format!("/ws/probe/?transport=longpoll&session={forged}&ack=x"),    &[],     400),
        ("GET",  format!("/ws/probe/?transport=sse&session={forged}"),               &[],     404),
        ("POST", format!("/ws/probe/?transport=longpoll&session={forged}"),          &[JSON], 404),
        ("GET",  "/ws/probe/?transport=longpoll".into(),                             &[],     400),
        // A form a page on another site could post: no JSON, no session.
        ("POST", "/ws/probe/?transport=longpoll".into(), &[("Content-Type", "text/plain")],    415),
    ];
    for (method, path, headers, status) in table {
        let body = if method == "POST" {
            r#"{"seq":1,"messages":[]}"#
        } else {
            ""
        };
        let reply = http_request_with(addr, method, &path, headers, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
    }
    // A real session's id with one digit changed is someone else's: 404.
    let session = Session::open(addr, "").await;
    let mut other = session.id.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let other = String::from_utf8(other).unwrap();
    let path = format!("/ws/probe/?transport=longpoll&session={other}&ack=0");
    assert_eq!(
        http_request_with(addr, "GET", &path, &[], "").await.status,
        404
    );
    // Acknowledging what was never sent is a bad request.
    assert_eq!(session.poll_reply(99).await.status, 400);
}

#[tokio::test]
async fn refusals_and_middleware_apply_to_the_open() {
    let (closed, _reported) = reports();
    let probe = move || Probe {
        closed: closed.clone(),
    };
    let router = UrlRouter::new().route("ws/probe/", probe);
    let app = ProtocolTypeRouter::new()
        .websocket(AllowedHostsOriginValidator::new(router, ["127.0.0.1"]))
        .with_channel_layer(InMemoryChannelLayer::new())
        .transports(Transports::new());
    let server = TestServer::start(app).await;
    let addr = server.addr();

    let evil = open(addr, "", &[JSON, ("Origin", "http://evil.example")]).await;
    assert_eq!(evil.status, 403, "{evil:?}");
    let denied = open(addr, "&deny=1", &[JSON]).await;
    assert_eq!(denied.status, 403, "{denied:?}");
    let own = open(addr, "", &[JSON, ("Origin", &format!("http://{addr}"))]).await;
    assert_eq!(own.status, 200, "{own:?}");
}

#[tokio::test]
async fn abandoned_sessions_expire_and_their_number_is_capped() {
    let transports = Transports::new()
        .session_timeout(Duration::from_millis(300))
        .max_sessions(2);
    let mut setup = serve(transports.clone(), |server| server).await;
    let addr = setup.server.addr();

    let first = Session::open(addr, "").await;
    let _second = Session::open(addr, "").await;
    let third = open(addr, "", &[JSON]).await;
    assert_eq!(third.status, 503, "{third:?}");

    // Nobody polls: both are abandoned, and their consumers hear 1006.
    assert_eq!(setup.closed.next().await, 1006);
    assert_eq!(setup.closed.next().await, 1006);
    assert_eq!(first.poll_reply(0).await.status, 404);
    assert_eq!(transports.sessions(), 0);
    let _again = Session::open(addr, "").await;
}

#[tokio::test]
async fn a_flood_against_a_session_that_never_polls_stays_bounded() {
    let transports = Transports::new().max_queued(50, 1 << 20);
    let mut setup = serve(transports.clone(), |server| {
        server.write_timeout(Duration::from_secs(2))
    })
    .await;
    let session = Session::open(setup.server.addr(), "").await;

    for n in 0..1_000 {
        let event = Event::new("probe.say", &json!({"text": format!("{n}")})).unwrap();
        let _ = setup.layer.group_send("probe", event).await;
        if n % 10 == 0 {
            // Slow enough for the consumer to keep up, so that what stops
            // it is the session's queue.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // The consumer waits for room, as for a WebSocket client that does
    // not read: the queue holds the bound and no more.
    let queued = session.poll(0).await;
    assert_eq!(queued.len(), 50, "the bound is 50: {queued:?}");
    assert_eq!(queued[1]["text"], "0");

    // It waits no longer than the write timeout; then the session is
    // dropped, and what is left for the client says it missed messages.
    assert_eq!(setup.closed.next().await, 1006);
    let left = session.poll(50).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["close"]["code"], 4013, "{left:?}");
    assert_eq!(session.poll_reply(51).await.status, 200);
    assert_eq!(transports.sessions(), 0);
}

#[tokio::test]
async fn sse_streams_what_the_consumer_sends_and_resumes_after_a_break() {
    let mut setup = serve(Transports::new(), |server| server).await;
    let addr = setup.server.addr();
    let reply = http_request_with(addr, "POST", "/ws/probe/?transport=sse", &[JSON], "").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let opened: Value = serde_json::from_str(&reply.body).unwrap();
    let mut session = Session {
        addr,
        id: opened["session"].as_str().unwrap().to_owned(),
        next: 1,
    };
    let path = format!("/ws/probe/?transport=sse&session={}", session.id);

    let mut stream = SseReader::open(addr, &path, None).await;
    assert_eq!(
        stream.next().await,
        (1, "text".into(), json!("transport=sse query="))
    );
    session.send(&["line\r\nbreaks"]).await;
    assert_eq!(
        stream.next().await,
        (2, "text".into(), json!("line\r\nbreaks"))
    );
    drop(stream);

    // Sent while no stream was open: kept for the next one.
    session.send(&["while away"]).await;
    let mut resumed = SseReader::open(addr, &path, Some(2)).await;
    assert_eq!(
        resumed.next().await,
        (3, "text".into(), json!("while away"))
    );
    drop(resumed);

    // Resuming from before what was written and forgotten: 4013.
    let mut behind = SseReader::open(addr, &path, Some(1)).await;
    let (_, event, data) = behind.next().await;
    assert_eq!(
        (event.as_str(), &data["code"]),
        ("close", &json!(4013)),
        "{data}"
    );
    assert_eq!(setup.closed.next().await, 4013);
}

#[tokio::test]
async fn a_shutdown_ends_sessions_with_1001() {
    let mut setup = serve(Transports::new(), |server| server).await;
    let session = Session::open(setup.server.addr(), "").await;
    assert_eq!(session.poll(0).await.len(), 1);
    let waiting = tokio::spawn(async move { session.poll_reply(1).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    setup.server.shutdown().await;
    let reply = waiting.await.unwrap();
    let polled: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(polled["messages"][0]["close"]["code"], 1001, "{reply:?}");
    assert_eq!(setup.closed.next().await, 1001);
}

/// Reads Server-Sent Events off a raw socket.
struct SseReader {
    stream: TcpStream,
    buffer: String,
}

impl SseReader {
    async fn open(addr: SocketAddr, path: &str, last_event_id: Option<u64>) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut request =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        if let Some(id) = last_event_id {
            request += &format!("Last-Event-ID: {id}\r\n");
        }
        request += "\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut reader = Self {
            stream,
            buffer: String::new(),
        };
        let head = reader.until("\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/event-stream"),
            "{head}"
        );
        reader
    }

    /// Reads up to and including `end`, returning what came before it.
    async fn until(&mut self, end: &str) -> String {
        loop {
            if let Some(at) = self.buffer.find(end) {
                let found = self.buffer[..at].to_owned();
                self.buffer.drain(..at + end.len());
                return found;
            }
            let mut chunk = [0; 4096];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .expect("no event in time")
                .unwrap();
            assert!(n > 0, "the stream ended; had {:?}", self.buffer);
            self.buffer.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    }

    /// The next event (id, type, data as JSON), past chunk sizes and comments.
    async fn next(&mut self) -> (u64, String, Value) {
        loop {
            let block = self.until("\n\n").await;
            let (mut id, mut event, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("id: ") {
                    id = value.parse().ok();
                } else if let Some(value) = line.strip_prefix("event: ") {
                    event = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(value).ok();
                }
            }
            if let (Some(id), Some(event), Some(data)) = (id, event, data) {
                return (id, event, data);
            }
        }
    }
}
