//! Close handshakes: futures that own the socket until it is done.

use std::time::Duration;

use aqueduct_core::{CloseCode, CloseFrame};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use hyper_tungstenite::tungstenite;
use hyper_tungstenite::tungstenite::protocol::frame::coding;
use tokio::time::timeout;

use crate::open::Open;

/// Sends our close frame and waits, at most `wait`, for the client's reply.
pub(crate) fn by_server(
    mut open: Box<Open>,
    frame: CloseFrame,
    wait: Duration,
) -> BoxFuture<'static, CloseCode> {
    Box::pin(async move {
        let code = frame.code;
        let close = tungstenite::protocol::CloseFrame {
            code: coding::CloseCode::from(code.as_u16()),
            reason: frame.reason.into(),
        };
        let finished = timeout(wait, async {
            open.ws.close(Some(close)).await?;
            // The client answers with its own close frame; anything it
            // sent before that is dropped, as RFC 6455 allows.
            while open.ws.next().await.transpose()?.is_some() {}
            Ok::<_, tungstenite::Error>(())
        })
        .await;
        if !matches!(finished, Ok(Ok(()))) {
            tracing::debug!("client did not finish the close handshake");
        }
        tracing::info!(code = code.as_u16(), "websocket closed by server");
        code
    })
}

/// Lets tungstenite answer a close the client started, waiting at most
/// `wait` for it to go out.
pub(crate) fn by_client(
    mut open: Box<Open>,
    code: CloseCode,
    wait: Duration,
) -> BoxFuture<'static, CloseCode> {
    Box::pin(async move {
        let drained = timeout(wait, async {
            while let Some(Ok(_)) = open.ws.next().await {}
        });
        let _ = drained.await;
        tracing::info!(code = code.as_u16(), "websocket closed by client");
        code
    })
}
