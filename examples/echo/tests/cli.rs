//! `cargo run -p example-echo` as a user runs it.

use aqueduct_tests::{ExampleProcess, connect, recv_text, send_text};

#[tokio::test]
async fn serves_on_the_address_given_and_echoes() {
    let echo = ExampleProcess::start(
        env!("CARGO_BIN_EXE_example-echo"),
        &["--addr", "127.0.0.1:0"],
        &[],
    );
    assert!(echo.banner.contains("/ws/echo/"), "{}", echo.banner);
    let mut client = connect(&format!("ws://{}/ws/echo/", echo.addr())).await;
    send_text(&mut client, "ping").await;
    assert_eq!(recv_text(&mut client).await, "ping");
    assert!(echo.terminate());
}
