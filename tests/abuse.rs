//! Limits that hold under abuse, over real sockets: each one refuses with
//! the status (or close code) a real client sees, logs at most a line a
//! second however often it trips, and leaves the server serving others.
//!
//! Clients are dropped before each server shuts down, which would
//! otherwise wait for them to answer its close frames.
//!
//! Loopback clients are not counted per address, so the tests of the
//! limits per address come through a trusted proxy on loopback, whose
//! `X-Forwarded-For` names clients that are counted.

use std::time::Duration;

use aqueduct::{Rate, TrustedProxies};
use aqueduct_tests::{
    Client, LogCapture, TestServer, WAIT, connect, connect_refused, connect_refused_with_headers,
    connect_with_headers, expect_close_frame, http_get_with_headers, recv_text, send_text,
    try_connect,
};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// `X-Forwarded-For: ip`, as a trusted proxy would send it.
fn from(ip: &str) -> [(&str, &str); 1] {
    [("x-forwarded-for", ip)]
}

/// Echoes once on `client`: it is open and served.
async fn assert_served(client: &mut Client) {
    send_text(client, "still here").await;
    assert_eq!(recv_text(client).await, "still here");
}

/// Connects with `headers` once the server has room again: a closed
/// connection is counted until its task has finished.
async fn connect_when_admitted(url: &str, headers: &[(&str, &str)]) -> Client {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(client) = try_connect(url, headers).await.map(|(client, _)| client) {
            return client;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url}: still refused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn past_max_connections_handshakes_get_503_until_one_closes() {
    let server =
        TestServer::start_with(example_echo::app(), |server| server.max_connections(2)).await;
    let url = server.ws("/ws/echo/");
    let mut first = connect(&url).await;
    let mut second = connect(&url).await;
    let (status, body) = connect_refused(&url).await;
    assert_eq!(status, 503);
    assert!(body.contains("connection limit"), "{body}");

    first.close(None).await.unwrap();
    let mut third = connect_when_admitted(&url, &[]).await;
    assert_served(&mut second).await;
    assert_served(&mut third).await;
    drop((second, third));
    server.shutdown().await;
}

#[tokio::test]
async fn past_max_connections_per_ip_handshakes_get_429_and_others_are_served() {
    // The limits count the client the proxy names, not the proxy.
    let server = TestServer::start_with(example_echo::app(), |server| {
        server
            .proxy_headers(TrustedProxies::loopback())
            .max_connections_per_ip(2)
    })
    .await;
    let url = server.ws("/ws/echo/");
    let mut held = vec![
        connect_with_headers(&url, &from("203.0.113.7")).await.0,
        connect_with_headers(&url, &from("203.0.113.7")).await.0,
    ];
    let (status, body) = connect_refused_with_headers(&url, &from("203.0.113.7")).await;
    assert_eq!(status, 429);
    assert!(body.contains("too many WebSocket connections"), "{body}");
    // The same /64 is one client; another client, or the proxy itself
    // (loopback, not counted), is served.
    held.push(connect_with_headers(&url, &from("2001:db8::1")).await.0);
    held.push(connect_with_headers(&url, &from("2001:db8::2")).await.0);
    let (status, _) = connect_refused_with_headers(&url, &from("2001:db8::3")).await;
    assert_eq!(status, 429);
    let mut other = connect_with_headers(&url, &from("203.0.113.8")).await.0;
    let mut proxy = connect(&url).await;
    assert_served(&mut other).await;
    assert_served(&mut proxy).await;

    // Closing one makes room for that client again.
    held.swap_remove(0).close(None).await.unwrap();
    let mut back = connect_when_admitted(&url, &from("203.0.113.7")).await;
    assert_served(&mut back).await;
    drop((held, other, proxy, back));
    server.shutdown().await;
}

#[tokio::test]
async fn past_the_handshake_rate_an_address_gets_429_until_it_slows_down() {
    let server = TestServer::start_with(example_echo::app(), |server| {
        server
            .proxy_headers(TrustedProxies::loopback())
            .handshake_rate_per_ip(Rate::per_second(2).burst(3))
    })
    .await;
    let url = server.ws("/ws/echo/");
    for _ in 0..3 {
        let mut client = connect_with_headers(&url, &from("203.0.113.7")).await.0;
        client.close(None).await.unwrap();
    }
    let (status, body) = connect_refused_with_headers(&url, &from("203.0.113.7")).await;
    assert_eq!(status, 429);
    assert!(body.contains("slow down"), "{body}");
    let mut other = connect_with_headers(&url, &from("203.0.113.8")).await.0;
    assert_served(&mut other).await;
    // Two a second: half a second later there is a token again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut again = connect_with_headers(&url, &from("203.0.113.7")).await.0;
    assert_served(&mut again).await;
    drop((other, again));
    server.shutdown().await;
}

#[tokio::test]
async fn past_the_message_rate_a_connection_is_closed_with_1008_and_a_reason() {
    let server = TestServer::start_with(example_echo::app(), |server| {
        server.message_rate(Rate::per_second(5).burst(10))
    })
    .await;
    let url = server.ws("/ws/echo/");
    let mut bystander = connect(&url).await;
    let mut flooder = connect(&url).await;
    for n in 0..30 {
        flooder.send(Message::text(n.to_string())).await.unwrap();
    }
    let (code, reason) = expect_close_frame(&mut flooder).await;
    assert_eq!(code, 1008);
    assert_eq!(reason, "sent messages faster than 5 a second (burst 10)");
    assert_served(&mut bystander).await;
    drop((bystander, flooder));
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_head_over_the_limit_gets_431_not_the_router() {
    // Regression: hyper's own 400 KiB buffer let a 64 KiB header through
    // to the router, which answered 404.
    let log = LogCapture::global();
    let big = |kib: usize| "x".repeat(kib << 10);
    let (cookie_16k, header_64k, header_10k) = (big(16), big(64), big(10));
    #[rustfmt::skip]
    let table: [(Option<usize>, (&str, &str), u16); 4] = [
        (None,        ("cookie", &cookie_16k),  404), // a browser's big cookies fit
        (None,        ("x-filler", &header_64k), 431),
        (Some(8192),  ("x-filler", &header_10k), 431),
        (Some(65536), ("x-filler", &header_10k), 404),
    ];
    for (limit, header, expected) in table {
        let server = TestServer::start_with(example_echo::app(), move |server| match limit {
            Some(bytes) => server.max_request_head_size(bytes),
            None => server,
        })
        .await;
        let reply = http_get_with_headers(server.addr(), "/", &[header]).await;
        assert_eq!(
            reply.status,
            expected,
            "{limit:?}, {} bytes",
            header.1.len()
        );
        // The server goes on serving.
        let mut client = connect(&server.ws("/ws/echo/")).await;
        assert_served(&mut client).await;
        drop(client);
        server.shutdown().await;
    }
    // Refused by hyper, yet logged (once a second at most) by the server.
    log.wait_for(&["max_request_head_size", "limit=8192"]).await;
}

#[tokio::test]
async fn refusals_are_logged_once_a_second_with_a_count_of_the_rest() {
    let log = LogCapture::global();
    // A limit no other test here uses, to tell this server's lines apart.
    let server =
        TestServer::start_with(example_echo::app(), |server| server.max_connections(3)).await;
    let url = server.ws("/ws/echo/");
    let held = [
        connect(&url).await,
        connect(&url).await,
        connect(&url).await,
    ];
    let lines = || {
        let lines = log.lines().into_iter();
        lines
            .filter(|line| line.contains("max_connections allows") && line.contains("limit=3"))
            .collect::<Vec<_>>()
    };
    for _ in 0..20 {
        assert_eq!(connect_refused(&url).await.0, 503);
    }
    let first = lines();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert!(first[0].starts_with("WARN"), "{}", first[0]);
    assert!(first[0].contains("suppressed=0"), "{}", first[0]);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(connect_refused(&url).await.0, 503);
    let both = lines();
    assert_eq!(both.len(), 2, "{both:#?}");
    assert!(both[1].contains("suppressed=19"), "{}", both[1]);
    drop(held);
    server.shutdown().await;
}

#[tokio::test]
async fn over_http2_a_header_list_over_the_limit_gets_431() {
    use bytes::Bytes;
    use http_body_util::Empty;

    let cert = aqueduct_tests::TestCert::new();
    let (cert_path, key_path) = (cert.cert_path(), cert.key_path());
    let server = TestServer::start_with(example_echo::app(), move |server| {
        server.tls_pem_files(cert_path, key_path).unwrap()
    })
    .await;
    let tls = cert.connect(server.addr(), &[b"h2"]).await;
    let mut h2 = aqueduct_tests::http2_handshake(tls).await;
    // One connection throughout: after a refusal it goes on. 24 KiB fits
    // the server's 32 KiB, where hyper's own 16 KiB would not: browsers'
    // big cookies fit over HTTP/2 as over HTTP/1.1.
    for (kib, expected) in [(40, 431), (24, 404), (64, 431), (1, 404)] {
        let request = http::Request::get("https://localhost/")
            .header("x-filler", "x".repeat(kib << 10))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = h2.send_request(request).await.unwrap();
        assert_eq!(response.status(), expected, "{kib} KiB");
    }
    server.shutdown().await;
}
