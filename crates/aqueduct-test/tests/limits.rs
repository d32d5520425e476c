//! Bounded queues and applications that never finish: a test fails with
//! a message instead of hanging, and no application outlives its test.

mod support;

use std::time::Duration;

use aqueduct_core::{CloseCode, Context, Message, NoEvents, Result, WebsocketConsumer};
use aqueduct_test::WebsocketCommunicator;
use async_trait::async_trait;
use support::Log;

/// Sends `count` numbered messages on connect, logging each one sent.
struct Chatty {
    log: Log,
    count: usize,
}

#[async_trait]
impl WebsocketConsumer for Chatty {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        for n in 0..self.count {
            ctx.send_text(n.to_string()).await?;
            self.log.push(format!("sent {n}"));
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn an_application_sending_to_a_test_that_does_not_read_waits() {
    let log = Log::default();
    let app_log = log.clone();
    let app = move || Chatty {
        log: app_log.clone(),
        count: 10,
    };
    let mut communicator = WebsocketCommunicator::new(app, "/ws/").capacity(2);
    communicator.connect().await.assert_accepted();
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Two in the queue; the third send waits for the test to read.
    assert_eq!(log.count("sent"), 2, "{:?}", log.entries());
    for n in 0..10 {
        assert_eq!(
            communicator.receive_from().await,
            Message::text(n.to_string())
        );
    }
    assert_eq!(log.count("sent"), 10);
}

/// Never finishes a hook: `receive` or `disconnect` waits for ever.
/// Logs when the task drops it, which is how cancellation shows.
struct Stuck {
    log: Log,
}

#[async_trait]
impl WebsocketConsumer for Stuck {
    type Event = NoEvents;

    async fn receive(&mut self, _ctx: &mut Context, _message: Message) -> Result {
        std::future::pending().await
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        self.log.push(format!("disconnect {}", code.as_u16()));
        std::future::pending().await
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        self.log.push("dropped");
    }
}

fn stuck(log: &Log) -> impl Fn() -> Stuck + Send + Sync + 'static {
    let log = log.clone();
    move || Stuck { log: log.clone() }
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "inbound queue (capacity 1) stayed full")]
async fn sending_to_an_application_that_does_not_read_fails_the_test() {
    let log = Log::default();
    let mut communicator = WebsocketCommunicator::new(stuck(&log), "/ws/").capacity(1);
    communicator.connect().await.assert_accepted();
    // The first is taken (its hook never ends), the second fills the queue.
    for _ in 0..3 {
        communicator.send_to("hi").await;
    }
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "disconnect timed out after 1s: the application did not finish")]
async fn a_disconnect_hook_that_never_ends_fails_the_test() {
    let log = Log::default();
    let mut communicator = WebsocketCommunicator::new(stuck(&log), "/ws/");
    communicator.connect().await.assert_accepted();
    communicator.disconnect(CloseCode::NORMAL).await;
}

#[tokio::test(start_paused = true)]
async fn a_dropped_communicator_cancels_an_application_that_never_ends() {
    let log = Log::default();
    let mut communicator = WebsocketCommunicator::new(stuck(&log), "/ws/");
    communicator.connect().await.assert_accepted();
    drop(communicator);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The hook ran, and the application is given time to finish it.
    assert_eq!(log.entries(), ["disconnect 1006"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(log.entries(), ["disconnect 1006", "dropped"]);
}
