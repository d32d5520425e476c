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
use crate::layer::GroupSendReport;
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

/// Logs the members a `group_send` skipped because their channels were
/// full: every layer says it the same way.
pub fn log_skipped(group: &str, report: &GroupSendReport) {
    if report.over_capacity > 0 {
        tracing::debug!(
            group,
            over_capacity = report.over_capacity,
            "group_send skipped full channels"
        );
    }
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
