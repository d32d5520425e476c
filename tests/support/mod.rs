//! Shared helpers for the workspace tests: a real server on a loopback
//! port, and a real WebSocket client (tokio-tungstenite) to talk to it.

#![allow(missing_docs)]

#[cfg(doctest)]
mod docs;
mod http2;
mod log;
mod tls;

pub use http2::{Http2Client, connect_http2, http2_handshake};
pub use log::LogCapture;
pub use tls::TestCert;

use std::net::SocketAddr;
use std::time::Duration;

use aqueduct::{ProtocolTypeRouter, Server};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expectation may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A WebSocket client connection.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An aqueduct server on an ephemeral loopback port, for one test.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Serves `app` with default settings.
    pub async fn start(app: impl Into<ProtocolTypeRouter>) -> Self {
        Self::start_with(app, |server| server).await
    }

    /// Serves `app` with settings changed by `configure`.
    pub async fn start_with(
        app: impl Into<ProtocolTypeRouter>,
        configure: impl FnOnce(Server) -> Server,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        Self::serve(listener, app, configure)
    }

    /// Serves `app` on a given address, as a restarted server would.
    pub async fn start_at(addr: SocketAddr, app: impl Into<ProtocolTypeRouter>) -> Self {
        let listener = TcpListener::bind(addr)
            .await
            .expect("bind the same address again");
        Self::serve(listener, app, |server| server)
    }

    fn serve(
        listener: TcpListener,
        app: impl Into<ProtocolTypeRouter>,
        configure: impl FnOnce(Server) -> Server,
    ) -> Self {
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = configure(Server::from_listener(listener)).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        let app = app.into();
        let task = tokio::spawn(server.serve(app));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:<port><path>`.
    pub fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Starts a graceful shutdown and waits for `serve` to return.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), &mut self.task)
            .await
            .expect("server did not shut down in time")
            .expect("server task panicked")
            .expect("serve returned an error");
    }
}

pub use aqueduct_test::service_available;

/// Connects to `url`; fails the test if the handshake is not accepted.
pub async fn connect(url: &str) -> Client {
    connect_with_headers(url, &[]).await.0
}

/// Connects with `headers` added to the handshake (a cookie, an origin,
/// credentials, a proxy's); returns the client and the 101 response.
pub async fn connect_with_headers(
    url: &str,
    headers: &[(&str, &str)],
) -> (Client, tungstenite::handshake::client::Response) {
    match handshake(url, headers).await {
        Ok(pair) => pair,
        Err(err) => panic!("connecting to {url} failed: {err}"),
    }
}

/// Connects offering `protocols`; returns the client and the 101 response.
pub async fn connect_with_protocols(
    url: &str,
    protocols: &str,
) -> (Client, tungstenite::handshake::client::Response) {
    connect_with_headers(url, &[("sec-websocket-protocol", protocols)]).await
}

/// Connects with `headers` added; returns the client and the 101
/// response, or the status and body of the refusal.
pub async fn try_connect(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(Client, tungstenite::handshake::client::Response), (u16, String)> {
    match handshake(url, headers).await {
        Ok(pair) => Ok(pair),
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err((response.status().as_u16(), body))
        }
        Err(err) => panic!("{url}: expected an answer, got {err}"),
    }
}

/// The handshake with `url`, with these extra request headers, within
/// [`WAIT`]: the client and the server's `101`, or why it failed.
async fn handshake(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(Client, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    for &(name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().append(name, value.parse().unwrap());
    }
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await {
        Ok(connected) => connected,
        Err(_) => panic!("connecting to {url} timed out"),
    }
}

/// Tries to connect and expects a refusal; returns the HTTP status and body.
pub async fn connect_refused(url: &str) -> (u16, String) {
    connect_refused_with_headers(url, &[]).await
}

/// Tries to connect with these extra request headers and expects a
/// refusal; returns the HTTP status and body.
pub async fn connect_refused_with_headers(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    match try_connect(url, headers).await {
        Err(refusal) => refusal,
        Ok(_) => panic!("{url}: handshake was accepted, expected a refusal"),
    }
}

/// Receives the next data message, failing the test after [`WAIT`].
pub async fn recv(client: &mut Client) -> Message {
    loop {
        match tokio::time::timeout(WAIT, client.next()).await {
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(message))) => return message,
            Ok(Some(Err(err))) => panic!("connection failed while waiting for a message: {err}"),
            Ok(None) => panic!("connection ended while waiting for a message"),
            Err(_) => panic!("no message within {WAIT:?}"),
        }
    }
}

/// Receives the next message and returns its text.
pub async fn recv_text(client: &mut Client) -> String {
    match recv(client).await {
        Message::Text(text) => text.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// Receives the next message as JSON.
pub async fn recv_json(client: &mut Client) -> serde_json::Value {
    let text = recv_text(client).await;
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"))
}

/// Reads until the server's close frame; returns its code.
pub async fn expect_close(client: &mut Client) -> u16 {
    expect_close_frame(client).await.0
}

/// Reads until the server's close frame; returns its code and reason.
pub async fn expect_close_frame(client: &mut Client) -> (u16, String) {
    loop {
        match tokio::time::timeout(WAIT, client.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                return frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(err))) => panic!("connection failed before a close frame: {err}"),
            Ok(None) => panic!("connection ended without a close frame"),
            Err(_) => panic!("no close frame within {WAIT:?}"),
        }
    }
}

/// Asserts that no data message arrives for `quiet`.
pub async fn expect_nothing(client: &mut Client, quiet: Duration) {
    if let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, client.next()).await {
        panic!("expected nothing, got {message:?}");
    }
}

/// Sends a text message.
pub async fn send_text(client: &mut Client, text: &str) {
    client.send(Message::text(text)).await.expect("send failed");
}

/// A channel on which test consumers report what happened to them.
#[derive(Debug)]
pub struct Reports<T> {
    rx: mpsc::UnboundedReceiver<T>,
}

/// Makes a reporting channel: give the sender to test consumers.
pub fn reports<T>() -> (mpsc::UnboundedSender<T>, Reports<T>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (tx, Reports { rx })
}

impl<T: std::fmt::Debug> Reports<T> {
    /// The next report, failing the test after [`WAIT`].
    pub async fn next(&mut self) -> T {
        match tokio::time::timeout(WAIT, self.rx.recv()).await {
            Ok(Some(report)) => report,
            Ok(None) => panic!("every reporter is gone"),
            Err(_) => panic!("no report within {WAIT:?}"),
        }
    }

    /// Asserts that nothing more is reported for `quiet`.
    pub async fn expect_none(&mut self, quiet: Duration) {
        if let Ok(Some(report)) = tokio::time::timeout(quiet, self.rx.recv()).await {
            panic!("expected no more reports, got {report:?}");
        }
    }
}

/// Sends a plain HTTP/1.1 GET over a raw socket; returns the status and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let reply = http_request(addr, "GET", path, None).await;
    (reply.status, reply.body)
}

/// An HTTP/1.1 response as read off a raw socket.
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: String,
}

impl HttpReply {
    /// The value of header `name`, matched without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `method path` over a raw socket, with `json` as a JSON body if
/// given, and reads the whole response.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> HttpReply {
    match json {
        Some(json) => {
            let headers = [("Content-Type", "application/json")];
            http_request_with(addr, method, path, &headers, json).await
        }
        None => http_request_with(addr, method, path, &[], "").await,
    }
}

/// Sends a GET with these extra headers over a raw socket, and reads the
/// whole response.
pub async fn http_get_with_headers(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpReply {
    http_request_with(addr, "GET", path, headers, "").await
}

/// Sends `method path` over a raw socket with `headers` and `body` (with
/// its `Content-Length` when not empty), and reads the whole response.
pub async fn http_request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    if !body.is_empty() {
        request += &format!("Content-Length: {}\r\n", body.len());
    }
    request += "\r\n";
    request += body;
    // A server that refuses the head may close before reading all of it.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("HTTP response timed out");
    // The same early close may reset the connection after the response.
    if response.is_empty() {
        read.expect("no HTTP response");
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    HttpReply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// An example binary running as its own process.
#[derive(Debug)]
pub struct ExampleProcess {
    child: std::process::Child,
    /// The first line the example printed.
    pub banner: String,
}

impl ExampleProcess {
    /// Starts `binary` with `args` and `env`, and waits for its first line.
    pub fn start(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {binary}: {err}"));
        let stdout = child.stdout.take().unwrap();
        let mut banner = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut banner)
            .expect("read the banner");
        Self { child, banner }
    }

    /// The `host:port` in the banner's URL.
    pub fn addr(&self) -> SocketAddr {
        let start = self.banner.find("://").expect("a URL in the banner") + 3;
        let rest = &self.banner[start..];
        let end = rest.find('/').unwrap_or(rest.len());
        rest[..end].trim().parse().expect("host:port in the banner")
    }

    /// Sends SIGTERM and returns whether the process exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid} failed");
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the example did not exit within 5 s of SIGTERM");
    }
}

impl Drop for ExampleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Middleware that reports the HTTP version and scheme of every WebSocket
/// scope it sees, then hands the connection on untouched.
pub struct ScopeRecorder<A> {
    inner: A,
    seen: mpsc::UnboundedSender<(http::Version, String)>,
}

impl<A> ScopeRecorder<A> {
    pub fn new(inner: A) -> (Self, Reports<(http::Version, String)>) {
        let (seen, reports) = reports();
        (Self { inner, seen }, reports)
    }
}

impl<A: aqueduct::WebsocketApp> aqueduct::WebsocketApp for ScopeRecorder<A> {
    fn call(
        &self,
        scope: aqueduct::Scope,
        io: Box<dyn aqueduct::WebsocketIo>,
    ) -> aqueduct::AppFuture<'_> {
        let _ = self
            .seen
            .send((scope.http_version(), scope.scheme().to_owned()));
        self.inner.call(scope, io)
    }
}

impl<A> std::fmt::Debug for ScopeRecorder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeRecorder").finish_non_exhaustive()
    }
}
