//! What every driver and router does the same way: the one panic guard,
//! the one check before a handshake, the one plain-text response.
//!
//! Public only so that aqueduct's other crates share it; it is not part of
//! the API and may change in any release.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::body::Body;
use crate::conversation::{Deny, Inbound, Outbound, WebsocketIo};
use crate::error::panic_message;
use crate::event::Event;
use crate::layer::{GroupSendReport, InMemoryChannelLayer, Overflow};
use crate::message::Utf8Bytes;

/// Calls `call` and awaits its future, turning a panic in either into the
/// panic's message, so one connection cannot take the server down.
pub async fn catch_panic<F, Fut>(call: F) -> Result<Fut::Output, String>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    let future =
        std::panic::catch_unwind(AssertUnwindSafe(call)).map_err(|panic| panic_message(&*panic))?;
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|panic| panic_message(&*panic))
}

/// Waits for the driver's `Connect`, which opens every conversation.
/// Returns `false` when there is nothing to run: the client left, or the
/// driver broke the contract by sending a message first (refused with 500).
pub async fn expect_connect(io: &mut dyn WebsocketIo) -> bool {
    match io.recv().await {
        Inbound::Connect => true,
        // The client left before the application started: nothing to run.
        Inbound::Disconnect(_) => false,
        Inbound::Receive(_) => {
            tracing::error!("driver sent a message before the handshake; refusing");
            let deny = Deny::new(StatusCode::INTERNAL_SERVER_ERROR);
            // A failed send means the client is gone: nobody is left to tell.
            let _ = io.send(Outbound::Deny(deny)).await;
            false
        }
    }
}

/// A text frame tungstenite has checked already, as a message's text.
pub fn text_from_tungstenite(text: tungstenite::Utf8Bytes) -> Utf8Bytes {
    Utf8Bytes::from_tungstenite(text)
}

/// A message's text as the text of a tungstenite frame, unchecked again.
pub fn text_into_tungstenite(text: Utf8Bytes) -> tungstenite::Utf8Bytes {
    text.into_tungstenite()
}

/// Logs the channels a message found full, every layer the same way: a
/// group send's members (with the `group`), or the channels a Redis layer
/// hands on to in its process.
///
/// Under `Overflow::Drop` nobody else will ever say it, so it is a WARN,
/// at most one a second for the whole process with the count since the
/// last (see [`LogThrottle`](crate::log_throttle::LogThrottle)). Under `Close` and `Wait` each reader's own
/// connection logs its close, and this is only a DEBUG line.
pub fn log_skipped(group: Option<&str>, report: &GroupSendReport, overflow: Overflow) {
    if report.over_capacity == 0 {
        return;
    }
    if overflow != Overflow::Drop {
        tracing::debug!(
            group,
            over_capacity = report.over_capacity,
            "channels were full; their readers are told"
        );
        return;
    }
    static DROPPED: crate::log_throttle::LogThrottle = crate::log_throttle::LogThrottle::new();
    if let Some(dropped) = DROPPED.add(report.over_capacity as u64) {
        tracing::warn!(
            group,
            dropped,
            "messages dropped for channels that were full (Overflow::Drop): \
             their readers are not keeping up, and are not told"
        );
    }
}

/// Hands `event` to `channels` of `layer` under `overflow`, and returns
/// how many got it and how many missed it.
///
/// The Redis layers keep their own process's channels in an in-memory
/// layer; this is how they fill them, with what they read off Redis and
/// with what they send to their own process's members.
pub async fn deliver_locally<S: AsRef<str>>(
    layer: &InMemoryChannelLayer,
    channels: &[S],
    event: &Event,
    overflow: Overflow,
) -> GroupSendReport {
    layer.send_to_channels(channels, event, overflow).await
}

/// A response with `status` and `body` as plain UTF-8 text.
pub fn text_response(status: StatusCode, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn catch_panic_catches_the_call_and_its_future() {
        let in_call = catch_panic(|| -> std::future::Ready<()> { panic!("in the call") });
        assert_eq!(in_call.await, Err("in the call".to_owned()));
        let in_future = catch_panic(|| async { panic!("room {}", 7) });
        assert_eq!(in_future.await, Err::<(), _>("room 7".to_owned()));
        assert_eq!(catch_panic(|| async { 1 }).await, Ok(1));
    }

    #[test]
    fn text_response_is_plain_utf8() {
        let response = text_response(StatusCode::BAD_REQUEST, "no");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
