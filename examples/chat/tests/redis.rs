//! Two `example-chat --redis` processes on one Redis: one chat.

use std::net::TcpStream;
use std::time::Duration;

use aqueduct_test::service_available;
use aqueduct_tests::{ExampleProcess, connect, expect_nothing, recv_text, send_text};

const BINARY: &str = env!("CARGO_BIN_EXE_example-chat");
const REDIS: &str = "redis://127.0.0.1:6379";

fn redis_available() -> bool {
    let up = TcpStream::connect_timeout(&"127.0.0.1:6379".parse().unwrap(), Duration::from_secs(1))
        .is_ok();
    service_available("Redis at 127.0.0.1:6379", up)
}

/// A prefix of this run's own, so parallel runs share no room.
fn prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("chat-test-{}-{nanos}-", std::process::id())
}

#[tokio::test]
async fn two_processes_on_one_redis_share_a_room_and_only_that_room() {
    if !redis_available() {
        return;
    }
    let prefix = prefix();
    // One through the flags, one through the environment.
    let first = ExampleProcess::start(
        BINARY,
        &[
            "--addr",
            "127.0.0.1:0",
            "--redis",
            REDIS,
            "--redis-prefix",
            &prefix,
        ],
        &[],
    );
    let second = ExampleProcess::start(
        BINARY,
        &["--addr", "127.0.0.1:0"],
        &[
            ("AQUEDUCT_REDIS_URL", REDIS),
            ("AQUEDUCT_REDIS_PREFIX", &prefix),
        ],
    );
    let (a, b) = (first.addr(), second.addr());
    let mut on_a = connect(&format!("ws://{a}/ws/chat/lobby/")).await;
    let mut on_b = connect(&format!("ws://{b}/ws/chat/lobby/")).await;
    let mut elsewhere = connect(&format!("ws://{b}/ws/chat/other/")).await;

    // One message at a time: messages from two senders have no order.
    send_text(&mut on_a, r#"{"message":"hello from a"}"#).await;
    for client in [&mut on_a, &mut on_b] {
        assert_eq!(recv_text(client).await, r#"{"message":"hello from a"}"#);
    }
    send_text(&mut on_b, r#"{"message":"hi a, this is b"}"#).await;
    for client in [&mut on_a, &mut on_b] {
        assert_eq!(recv_text(client).await, r#"{"message":"hi a, this is b"}"#);
    }
    expect_nothing(&mut elsewhere, Duration::from_millis(300)).await;

    send_text(&mut elsewhere, r#"{"message":"other room"}"#).await;
    assert_eq!(
        recv_text(&mut elsewhere).await,
        r#"{"message":"other room"}"#
    );
    expect_nothing(&mut on_a, Duration::from_millis(300)).await;
}

/// A Redis that is not there stops the example at start-up, naming it.
#[test]
fn an_unreachable_redis_is_a_clear_error_at_start_up() {
    let output = std::process::Command::new(BINARY)
        .args(["--addr", "127.0.0.1:0", "--redis", "redis://127.0.0.1:1"])
        .output()
        .expect("run the example");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach Redis at 127.0.0.1:1"),
        "stderr: {stderr}"
    );
}
