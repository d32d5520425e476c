//! Answering a handshake whose token came as a subprotocol.

use std::task::{Context, Poll};

use aqueduct_core::{ConnectionClosed, Inbound, Outbound, WebsocketIo};
use async_trait::async_trait;

/// A conversation whose accept names `marker` as the subprotocol when the
/// application chose none.
///
/// A browser that offered subprotocols fails a handshake answered without
/// one; the client offered the marker, so answering with it is always
/// allowed, and a consumer written without subprotocols in mind works.
pub(crate) struct AnswerWithMarker {
    pub(crate) inner: Box<dyn WebsocketIo>,
    pub(crate) marker: String,
}

#[async_trait]
impl WebsocketIo for AnswerWithMarker {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        self.inner.poll_recv(cx)
    }

    async fn send(&mut self, mut action: Outbound) -> Result<(), ConnectionClosed> {
        if let Outbound::Accept(accept) = &mut action
            && accept.subprotocol.is_none()
        {
            accept.subprotocol = Some(std::mem::take(&mut self.marker));
        }
        self.inner.send(action).await
    }
}
