//! The communicator's side of a WebSocket conversation, in memory.
//!
//! This is the second implementer of [`WebsocketIo`] next to the server's
//! driver, and keeps the same promises: `Connect` first, `Disconnect` for
//! ever after the end, `send` failing once the test side is gone, a close
//! from the application answered at once (the test "client" always
//! completes the close handshake) and reported back as its `Disconnect`.

use std::task::{Context, Poll, ready};

use aqueduct_core::{
    CloseCode, CloseFrame, ConnectionClosed, Deny, Inbound, Outbound, WebsocketIo,
};
use async_trait::async_trait;
use http::StatusCode;
use tokio::sync::{mpsc, oneshot};

use super::outcome::{Connected, Output};

/// Drives one application in memory, for one [`WebsocketCommunicator`](super::WebsocketCommunicator).
pub(crate) struct TestIo {
    phase: Phase,
    /// What the test sends: only `Receive` and `Disconnect`.
    inbound: mpsc::Receiver<Inbound>,
    /// What the application sends once it has accepted.
    outbound: mpsc::Sender<Output>,
}

enum Phase {
    /// The handshake waits for the application to accept or deny it.
    Handshake {
        connect_reported: bool,
        answer: oneshot::Sender<Connected>,
    },
    Open,
    Done(CloseCode),
}

impl TestIo {
    pub(crate) fn new(
        inbound: mpsc::Receiver<Inbound>,
        outbound: mpsc::Sender<Output>,
        answer: oneshot::Sender<Connected>,
    ) -> Self {
        Self {
            phase: Phase::Handshake {
                connect_reported: false,
                answer,
            },
            inbound,
            outbound,
        }
    }

    /// Answers the handshake; `Err` when the test is no longer listening.
    fn answer(&mut self, connected: Connected) -> Result<(), ConnectionClosed> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done(CloseCode::ABNORMAL));
        let Phase::Handshake { answer, .. } = phase else {
            self.phase = phase;
            return Err(ConnectionClosed);
        };
        answer.send(connected).map_err(|_| ConnectionClosed)
    }

    /// Refuses the handshake; the conversation ends with 1006, as on the server.
    fn deny(&mut self, deny: Deny) {
        tracing::info!(status = deny.status.as_u16(), "websocket rejected");
        // If the test already left there is nobody to tell.
        let _ = self.answer(Connected::Rejected {
            status: deny.status,
            headers: deny.headers,
            body: deny.body,
        });
        self.phase = Phase::Done(CloseCode::ABNORMAL);
    }

    async fn deliver(&mut self, output: Output) -> Result<(), ConnectionClosed> {
        if self.outbound.send(output).await.is_err() {
            self.phase = Phase::Done(CloseCode::ABNORMAL);
            return Err(ConnectionClosed);
        }
        Ok(())
    }

    /// The application closes: the test sees the close frame, and the
    /// conversation ends with the application's code, as on the server
    /// once the client has answered the close.
    async fn close(&mut self, frame: CloseFrame) {
        let code = frame.code;
        // A test that is gone cannot answer; the close is over either way.
        let _ = self.deliver(Output::Close(frame)).await;
        tracing::info!(code = code.as_u16(), "websocket closed by server");
        self.phase = Phase::Done(code);
    }

    /// Polls for the test's next event after the handshake was answered.
    fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        loop {
            match ready!(self.inbound.poll_recv(cx)) {
                Some(Inbound::Receive(message)) => return Poll::Ready(Inbound::Receive(message)),
                Some(Inbound::Disconnect(code)) => return Poll::Ready(self.finish(code)),
                // The communicator never sends a second `Connect`.
                Some(Inbound::Connect) => {}
                // The communicator was dropped without a disconnect: the
                // same as a client whose TCP connection dropped.
                None => return Poll::Ready(self.finish(CloseCode::ABNORMAL)),
            }
        }
    }

    fn finish(&mut self, code: CloseCode) -> Inbound {
        tracing::info!(code = code.as_u16(), "websocket closed by client");
        self.phase = Phase::Done(code);
        Inbound::Disconnect(code)
    }
}

#[async_trait]
impl WebsocketIo for TestIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        match &mut self.phase {
            Phase::Handshake {
                connect_reported, ..
            } if !*connect_reported => {
                *connect_reported = true;
                Poll::Ready(Inbound::Connect)
            }
            // Before the handshake is answered only the test leaving can
            // happen; the communicator sends nothing else until then.
            Phase::Handshake { .. } => loop {
                match ready!(self.inbound.poll_recv(cx)) {
                    Some(Inbound::Disconnect(_)) | None => {
                        return Poll::Ready(self.finish(CloseCode::ABNORMAL));
                    }
                    Some(_) => {}
                }
            },
            Phase::Open => self.poll_open(cx),
            Phase::Done(code) => Poll::Ready(Inbound::Disconnect(*code)),
        }
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        match (&self.phase, action) {
            (Phase::Handshake { .. }, Outbound::Accept(accept)) => {
                tracing::info!(
                    subprotocol = accept.subprotocol.as_deref(),
                    "websocket accepted"
                );
                self.answer(Connected::Accepted {
                    subprotocol: accept.subprotocol,
                    headers: accept.headers,
                })?;
                self.phase = Phase::Open;
                Ok(())
            }
            (Phase::Handshake { .. }, Outbound::Deny(deny)) => {
                self.deny(deny);
                Ok(())
            }
            // Closing before accepting refuses, as Daphne does.
            (Phase::Handshake { .. }, Outbound::Close(_)) => {
                self.deny(Deny::default());
                Ok(())
            }
            (Phase::Handshake { .. }, Outbound::Send(_)) => {
                tracing::error!("application sent a message before accepting; refusing");
                self.deny(Deny::new(StatusCode::INTERNAL_SERVER_ERROR));
                Err(ConnectionClosed)
            }
            (Phase::Open, Outbound::Send(message)) => self.deliver(Output::Message(message)).await,
            (Phase::Open, Outbound::Close(frame)) => {
                self.close(frame).await;
                Ok(())
            }
            (Phase::Open, action) => {
                tracing::warn!(?action, "ignored: the handshake is already accepted");
                Ok(())
            }
            (Phase::Done(_), _) => Err(ConnectionClosed),
        }
    }
}
