//! `cargo run -p example-chat` as a user runs it: a process, a port, a URL.

use aqueduct_tests::{
    ExampleProcess, connect, connect_with_headers, expect_close, http_get, recv_text, send_text,
    try_connect,
};

const BINARY: &str = env!("CARGO_BIN_EXE_example-chat");

/// Command-line arguments and environment variables for one run.
type Invocation = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

#[tokio::test]
async fn addr_flag_and_env_choose_where_it_serves_and_sigterm_stops_it() {
    let table: [Invocation; 2] = [
        (&["--addr", "127.0.0.1:0"], &[]),
        (&[], &[("AQUEDUCT_ADDR", "127.0.0.1:0")]),
    ];
    for (args, env) in table {
        let chat = ExampleProcess::start(BINARY, args, env);
        assert!(chat.banner.contains("/chat/"), "{}", chat.banner);
        let addr = chat.addr();
        assert_ne!(addr.port(), 8000, "{args:?} {env:?} was ignored");

        let (status, body) = http_get(addr, "/chat/").await;
        assert_eq!(status, 200);
        assert!(body.contains("room-name-input"));
        let mut client = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
        send_text(&mut client, r#"{"message":"hi"}"#).await;
        assert_eq!(recv_text(&mut client).await, r#"{"message":"hi"}"#);

        let stopped = tokio::task::spawn_blocking(move || chat.terminate());
        assert_eq!(expect_close(&mut client).await, 1001);
        assert!(stopped.await.unwrap(), "exit status was not success");
    }
}

#[tokio::test]
async fn tls_flags_serve_https_and_wss() {
    let cert = aqueduct_tests::TestCert::new();
    let (cert_path, key_path) = (cert.cert_path(), cert.key_path());
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ];
    let chat = ExampleProcess::start(BINARY, &args, &[]);
    assert!(chat.banner.contains("https://"), "{}", chat.banner);
    let url = format!("wss://localhost:{}/ws/chat/lobby/", chat.addr().port());
    let mut client = cert.connect_websocket(&url).await;
    send_text(&mut client, r#"{"message":"hi"}"#).await;
    assert_eq!(recv_text(&mut client).await, r#"{"message":"hi"}"#);

    let stopped = tokio::task::spawn_blocking(move || chat.terminate());
    assert_eq!(expect_close(&mut client).await, 1001);
    assert!(stopped.await.unwrap(), "exit status was not success");
}

#[test]
fn a_key_that_is_not_there_stops_the_server_with_the_reason() {
    let cert = aqueduct_tests::TestCert::new();
    let cert_path = cert.cert_path();
    let output = std::process::Command::new(BINARY)
        .args(["--addr", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .args(["--tls-key", "/nonexistent/key.pem"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("key.pem"), "{stderr}");
}

/// Channels' tutorial wraps its chat in `AllowedHostsOriginValidator`; so
/// does this one: a page from another site, or from another port of this
/// machine, cannot open a socket, and `--allowed-hosts` names more hosts.
#[tokio::test]
async fn only_pages_from_its_own_host_and_port_or_allowed_hosts_open_a_socket() {
    let chat = ExampleProcess::start(BINARY, &["--addr", "127.0.0.1:0"], &[]);
    let port = chat.addr().port();
    let url = format!("ws://{}/ws/chat/lobby/", chat.addr());
    let own = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ];
    for origin in &own {
        let opened = try_connect(&url, &[("origin", origin)]).await;
        assert!(opened.is_ok(), "{origin}: {:?}", opened.err());
    }
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    for origin in ["https://evil.example", other_port.as_str(), "null"] {
        let refused = try_connect(&url, &[("origin", origin)]).await.err();
        assert_eq!(refused.map(|(status, _)| status), Some(403), "{origin}");
    }
    // A client that is no browser sends no Origin, and is let in.
    assert!(try_connect(&url, &[]).await.is_ok());
    assert!(chat.terminate());

    let args = [
        "--addr",
        "127.0.0.1:0",
        "--allowed-hosts",
        "chat.example.com",
    ];
    let chat = ExampleProcess::start(BINARY, &args, &[]);
    let url = format!("ws://{}/ws/chat/lobby/", chat.addr());
    assert!(
        try_connect(&url, &[("origin", "https://chat.example.com")])
            .await
            .is_ok()
    );
    let local = format!("http://127.0.0.1:{}", chat.addr().port());
    let refused = try_connect(&url, &[("origin", &local)]).await.err();
    assert_eq!(refused.map(|(status, _)| status), Some(403));
    assert!(chat.terminate());
}

// `--proxy-headers` and `--forwarded-allow-ips`. The chat does not show a
// client its address, so these tests watch the limits per client address
// instead: they count the client a trusted proxy names, and not loopback.
// Handshakes from loopback naming one client in `X-Forwarded-For` are
// refused with 429 past the default burst (100) only when the chat
// believes the header.

/// Handshakes to try: past the burst, with room for what is earned back
/// while they run (20 a second).
const HANDSHAKES: usize = 150;

/// The first refusal of [`HANDSHAKES`] handshakes from one client behind
/// the proxy, if there was one.
async fn refusal_as_one_client(url: &str) -> Option<u16> {
    let from = [("x-forwarded-for", "203.0.113.7")];
    for _ in 0..HANDSHAKES {
        if let Err((status, _)) = try_connect(url, &from).await {
            return Some(status);
        }
    }
    None
}

#[tokio::test]
async fn proxy_headers_are_believed_only_when_asked_and_only_from_trusted_proxies() {
    #[rustfmt::skip]
    let table: [(Invocation, Option<u16>); 5] = [
        ((&[],                                                 &[]), None),
        ((&["--proxy-headers"],                                &[]), Some(429)),
        ((&["--forwarded-allow-ips", "10.0.0.0/8, 127.0.0.1"], &[]), Some(429)),
        ((&[], &[("AQUEDUCT_FORWARDED_ALLOW_IPS", "127.0.0.1")]),     Some(429)),
        // A proxy elsewhere is trusted; loopback, where the test is, is not.
        ((&["--forwarded-allow-ips", "10.0.0.1"],              &[]), None),
    ];
    for ((args, env), refusal) in table {
        let mut argv = vec!["--addr", "127.0.0.1:0"];
        argv.extend(args);
        let chat = ExampleProcess::start(BINARY, &argv, env);
        let url = format!("ws://{}/ws/chat/lobby/", chat.addr());
        assert_eq!(
            refusal_as_one_client(&url).await,
            refusal,
            "{args:?} {env:?}"
        );
        // Another client behind the proxy is served all the same.
        connect_with_headers(&url, &[("x-forwarded-for", "203.0.113.8")]).await;
    }
}

#[test]
fn a_list_that_does_not_parse_stops_the_server_naming_the_entry() {
    let output = std::process::Command::new(BINARY)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--forwarded-allow-ips",
            "10.0.0.1, nginx",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"nginx\""), "{stderr}");
}
