//! `cargo run -p example-axum` as a user runs it: a process, a port, a URL.

use aqueduct_tests::{ExampleProcess, connect, expect_close, http_get, recv_text, send_text};

const BINARY: &str = env!("CARGO_BIN_EXE_example-axum");

#[tokio::test]
async fn addr_flag_chooses_where_it_serves_and_sigterm_closes_sockets_with_1001() {
    let app = ExampleProcess::start(BINARY, &["--addr", "127.0.0.1:0"], &[]);
    let addr = app.addr();
    assert_ne!(addr.port(), 8002, "--addr was ignored: {}", app.banner);

    let (status, body) = http_get(addr, "/api/health").await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let mut client = connect(&format!("ws://{addr}/ws/chat/lobby/")).await;
    send_text(&mut client, r#"{"message":"hi"}"#).await;
    assert_eq!(recv_text(&mut client).await, r#"{"message":"hi"}"#);

    let stopped = tokio::task::spawn_blocking(move || app.terminate());
    assert_eq!(expect_close(&mut client).await, 1001);
    assert!(stopped.await.unwrap(), "exit status was not success");
}
