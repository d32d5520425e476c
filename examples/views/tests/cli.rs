//! `cargo run -p example-views` as a user runs it.

use aqueduct_tests::{ExampleProcess, connect, http_get, recv_text, send_text};

#[tokio::test]
async fn serves_on_the_address_given_and_answers_both_protocols() {
    let views = ExampleProcess::start(
        env!("CARGO_BIN_EXE_example-views"),
        &["--addr", "127.0.0.1:0"],
        &[],
    );
    assert!(views.banner.contains("/echo/"), "{}", views.banner);
    let addr = views.addr();
    assert_eq!(
        http_get(addr, "/echo/?message=hi").await,
        (200, "hi".to_owned())
    );
    let mut client = connect(&format!("ws://{addr}/echo/")).await;
    send_text(&mut client, "ping").await;
    assert_eq!(recv_text(&mut client).await, "ping");
    assert!(views.terminate());
}
