//! `cargo run -p example-chat` as a user runs it: a process, a port, a URL.

use aqueduct_tests::{ExampleProcess, connect, expect_close, http_get, recv_text, send_text};

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
