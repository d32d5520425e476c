//! Messages both ways, closes from either side, failures after the
//! handshake, and the disconnect hook: the communicator keeps the
//! promises of the server's driver.

mod support;

use std::time::Duration;

use aqueduct_core::{CloseCode, CloseFrame, Message};
use aqueduct_test::{Output, ReceiveError, WebsocketCommunicator};
use serde_json::{Value, json};
use support::{Log, Scripted};

async fn connected(log: &Log) -> WebsocketCommunicator {
    let mut communicator = WebsocketCommunicator::new(Scripted::accepting(log), "/ws/");
    communicator.connect().await.assert_accepted();
    communicator
}

#[tokio::test]
async fn text_binary_and_json_come_back_as_sent() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    #[rustfmt::skip]
    let table = [
        Message::text("hello"),
        Message::text(""),
        Message::binary(vec![0, 159, 146, 150]),
        Message::binary(Vec::new()),
    ];
    for message in table {
        communicator.send_to(message.clone()).await;
        assert_eq!(communicator.receive_from().await, message);
    }
    communicator.send_json_to(&json!({"message": "hi"})).await;
    let echoed: Value = communicator.receive_json_from().await;
    assert_eq!(echoed, json!({"message": "hi"}));
    assert!(communicator.receive_nothing().await);
}

#[tokio::test]
async fn a_close_from_the_consumer_reaches_the_test_and_its_disconnect_hook() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.send_to("close 4001").await;
    assert_eq!(communicator.receive_close().await, CloseCode::from(4001));
    // The close repeats, as the driver's disconnect does.
    assert_eq!(
        communicator.receive_output().await,
        Output::Close(CloseFrame::new(4001.into()))
    );
    assert!(communicator.receive_nothing().await);
    // Messages sent after the close are dropped, as on a socket.
    communicator.send_to("anyone there?").await;
    communicator.disconnect(CloseCode::NORMAL).await;
    assert_eq!(
        log.entries(),
        ["connect", "receive Some(\"close 4001\")", "disconnect 4001"]
    );
}

#[tokio::test]
async fn a_failing_or_panicking_hook_after_accept_closes_with_1011() {
    for command in ["fail", "panic"] {
        let log = Log::default();
        let mut communicator = connected(&log).await;
        communicator.send_to(command).await;
        assert_eq!(
            communicator.receive_close().await,
            CloseCode::INTERNAL_ERROR,
            "{command}"
        );
        communicator.disconnect(CloseCode::NORMAL).await;
        assert_eq!(
            log.count("disconnect 1011"),
            1,
            "{command}: {:?}",
            log.entries()
        );
    }
}

#[tokio::test]
async fn disconnect_runs_the_hook_exactly_once_before_returning() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.send_to("hi").await;
    communicator.disconnect(CloseCode::GOING_AWAY).await;
    // No waiting here: the hook has run by the time disconnect returns.
    assert_eq!(
        log.entries(),
        ["connect", "receive Some(\"hi\")", "disconnect 1001"]
    );
    communicator.disconnect(CloseCode::NORMAL).await;
    drop(communicator);
    tokio::task::yield_now().await;
    assert_eq!(log.count("disconnect"), 1);
}

#[tokio::test]
async fn dropping_the_communicator_still_runs_the_disconnect_hook_with_1006() {
    let log = Log::default();
    let communicator = connected(&log).await;
    drop(communicator);
    for _ in 0..100 {
        if log.count("disconnect") > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(log.entries(), ["connect", "disconnect 1006"]);
}

#[tokio::test]
async fn receive_nothing_leaves_what_arrived_for_the_next_receive() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.send_to("one").await;
    assert!(!communicator.receive_nothing().await);
    assert!(!communicator.receive_nothing().await);
    assert_eq!(communicator.receive_from().await, "one".into());
    assert!(communicator.receive_nothing().await);
}

// Paused, so the short timeouts below cannot expire before the
// application, which runs whenever the test waits, has answered.
#[tokio::test(start_paused = true)]
async fn try_variants_return_what_went_wrong() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    let short = Duration::from_millis(20);
    let timeout = communicator.try_receive_from(short).await.unwrap_err();
    assert!(
        matches!(timeout, ReceiveError::Timeout { awaited: "receive_from", after } if after == short),
        "{timeout:?}"
    );

    communicator.send_to("not json").await;
    let not_json = communicator
        .try_receive_json_from::<Value>(short)
        .await
        .unwrap_err();
    assert!(matches!(&not_json, ReceiveError::Json { text, .. } if text == "not json"));

    communicator.send_to(vec![1, 2]).await;
    let binary = communicator
        .try_receive_json_from::<Value>(short)
        .await
        .unwrap_err();
    assert!(matches!(binary, ReceiveError::NotText(_)), "{binary:?}");

    communicator.send_to("close 1000").await;
    let closed = communicator.try_receive_from(short).await.unwrap_err();
    assert!(matches!(closed, ReceiveError::Closed(frame) if frame.code == CloseCode::NORMAL));
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "receive_from timed out after 1s: the application sent nothing")]
async fn receive_from_fails_the_test_when_nothing_arrives() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.receive_from().await;
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "receive_json_from timed out after 250ms")]
async fn the_timeout_can_be_set_per_call() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator
        .receive_json_from_timeout::<Value>(Duration::from_millis(250))
        .await;
}

#[tokio::test]
#[should_panic(
    expected = "expected a message, but the application closed the connection with 1007 (invalid payload)"
)]
async fn receive_from_fails_the_test_when_the_application_closes_instead() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.send_to("close 1007").await;
    communicator.receive_from().await;
}

#[tokio::test]
#[should_panic(
    expected = "expected the application to close the connection, but it sent Text(\"hi\")"
)]
async fn receive_close_fails_the_test_when_a_message_comes_first() {
    let log = Log::default();
    let mut communicator = connected(&log).await;
    communicator.send_to("hi").await;
    communicator.receive_close().await;
}

#[tokio::test]
#[should_panic(expected = "send_to called before connect()")]
async fn sending_before_connect_is_a_mistake_named_as_such() {
    let log = Log::default();
    let mut communicator = WebsocketCommunicator::new(Scripted::accepting(&log), "/ws/");
    communicator.send_to("hi").await;
}

#[tokio::test]
#[should_panic(expected = "receive_from: the handshake was rejected with 403 Forbidden")]
async fn receiving_after_a_refusal_is_a_mistake_named_as_such() {
    let log = Log::default();
    let deny = support::OnConnect::Deny(aqueduct_core::Deny::default());
    let mut communicator = WebsocketCommunicator::new(Scripted::factory(&log, deny), "/ws/");
    let _ = communicator.connect().await;
    communicator.receive_from().await;
}

#[test]
fn communicators_and_their_futures_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let log = Log::default();
    let mut communicator = WebsocketCommunicator::new(Scripted::accepting(&log), "/ws/");
    send(&communicator);
    send(&communicator.connect());
    send(&communicator.send_to("hi"));
    send(&communicator.receive_from());
    send(&communicator.receive_json_from::<Value>());
    send(&communicator.receive_nothing());
    send(&communicator.disconnect(CloseCode::NORMAL));
}
