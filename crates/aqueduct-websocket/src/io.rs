//! The host's side of a WebSocket conversation, over a real connection.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use aqueduct_core::{
    Accept, Body, CloseCode, CloseFrame, ConnectionClosed, Deny, Inbound, Message, Outbound,
    WebsocketIo,
};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt};
use http::{HeaderValue, Response, header};
use hyper::upgrade::OnUpgrade;
use hyper_tungstenite::WebSocketStream;
use hyper_tungstenite::tungstenite;
use hyper_tungstenite::tungstenite::protocol::Role;
use tokio::sync::oneshot;
use tokio::time::timeout;

use crate::admission::Admission;
use crate::closing;
use crate::failure::Failure;
use crate::lean::LeanIo;
use crate::limits::Limits;
use crate::open::{Open, Step};
use crate::shutdown::Shutdown;
use crate::stream::Stream;
use aqueduct_core::__private::{text_into_tungstenite, text_response};

/// Drives one WebSocket connection for the application that owns it.
pub(crate) struct DriverIo {
    phase: Phase,
    config: Arc<Limits>,
    /// Where a connection closed for its message rate is logged.
    admission: Arc<Admission>,
    shutdown: Shutdown,
    /// Whether the client asked for the application-level heartbeat.
    heartbeat_requested: bool,
}

enum Phase {
    Handshake(Box<Handshake>),
    Open(Box<Open>),
    /// A close handshake under way; it yields the connection's last code.
    Closing(BoxFuture<'static, CloseCode>),
    Done(CloseCode),
}

struct Handshake {
    connect_reported: bool,
    /// The answer prepared for the handshake (`101`, or `200` over HTTP/2);
    /// sent only once the app accepts.
    switching: Response<Body>,
    respond: oneshot::Sender<Response<Body>>,
    upgrade: OnUpgrade,
}

impl DriverIo {
    pub(crate) fn new(
        switching: Response<Body>,
        respond: oneshot::Sender<Response<Body>>,
        upgrade: OnUpgrade,
        config: Arc<Limits>,
        admission: Arc<Admission>,
        shutdown: Shutdown,
        heartbeat_requested: bool,
    ) -> Self {
        Self {
            phase: Phase::Handshake(Box::new(Handshake {
                connect_reported: false,
                switching,
                respond,
                upgrade,
            })),
            config,
            admission,
            shutdown,
            heartbeat_requested,
        }
    }

    async fn accept(
        &mut self,
        handshake: Box<Handshake>,
        accept: Accept,
    ) -> Result<(), ConnectionClosed> {
        let Handshake {
            mut switching,
            respond,
            upgrade,
            ..
        } = *handshake;
        if let Some(protocol) = &accept.subprotocol {
            match HeaderValue::try_from(protocol.as_str()) {
                Ok(value) => {
                    switching
                        .headers_mut()
                        .insert(header::SEC_WEBSOCKET_PROTOCOL, value);
                }
                Err(_) => tracing::warn!(
                    protocol,
                    "subprotocol is not a valid header value; left out"
                ),
            }
        }
        switching.headers_mut().extend(accept.headers);
        if respond.send(switching).is_err() {
            tracing::debug!("client left before the handshake was accepted");
            self.phase = Phase::Done(CloseCode::ABNORMAL);
            return Err(ConnectionClosed);
        }
        let upgraded = match timeout(self.config.handshake_timeout, upgrade).await {
            Ok(Ok(upgraded)) => upgraded,
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "upgrade failed after 101");
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                return Err(ConnectionClosed);
            }
            Err(_) => {
                tracing::debug!("upgrade did not complete in time after 101");
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                return Err(ConnectionClosed);
            }
        };
        let (stream, read_ahead) = Stream::new(upgraded);
        let io = LeanIo::new(stream, &read_ahead);
        let config = Some(self.config.websocket());
        let ws = WebSocketStream::from_raw_socket(io, Role::Server, config).await;
        tracing::info!(
            subprotocol = accept.subprotocol.as_deref(),
            "websocket accepted"
        );
        let open = Open::new(
            ws,
            &self.config,
            self.shutdown.watch(),
            self.heartbeat_requested,
        );
        self.phase = Phase::Open(Box::new(open));
        Ok(())
    }

    fn deny(&mut self, handshake: Handshake, deny: Deny) {
        let mut response = text_response(deny.status, deny.body);
        response.headers_mut().extend(deny.headers);
        tracing::info!(status = deny.status.as_u16(), "websocket rejected");
        // If the client already left there is nobody to tell.
        let _ = handshake.respond.send(response);
        self.phase = Phase::Done(CloseCode::ABNORMAL);
    }

    async fn send_message(&mut self, message: Message) -> Result<(), ConnectionClosed> {
        let Phase::Open(open) = &mut self.phase else {
            return Err(ConnectionClosed);
        };
        let frame = match message {
            Message::Text(text) => tungstenite::Message::Text(text_into_tungstenite(text)),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        };
        let mut send = open.ws.send(frame);
        // Nearly every send completes at once: arm the write timer only for
        // one that has to wait for the client to read.
        let sent = match poll_fn(|cx| Poll::Ready(send.poll_unpin(cx))).await {
            Poll::Ready(sent) => Ok(sent),
            Poll::Pending => timeout(self.config.write_timeout, send).await,
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "send failed; client gone");
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                Err(ConnectionClosed)
            }
            Err(_) => {
                tracing::warn!(
                    timeout = ?self.config.write_timeout,
                    "client is not reading; dropping the connection"
                );
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                Err(ConnectionClosed)
            }
        }
    }

    /// Ends the connection after `failure`: a close frame with the reason
    /// for a client that broke a rule, nothing for one that is gone.
    fn fail(&mut self, failure: Failure) {
        let frame = match failure {
            Failure::Close(code, reason) => {
                tracing::warn!(
                    code = code.as_u16(),
                    reason,
                    "closing: bad input from client"
                );
                CloseFrame::new(code).with_reason(reason)
            }
            Failure::TooManyMessages(rate) => {
                // A flood from many clients at once must not flood the log.
                self.admission.refused_messages(rate);
                CloseFrame::new(CloseCode::POLICY_VIOLATION)
                    .with_reason(format!("sent messages faster than {rate}"))
            }
            Failure::Gone => {
                tracing::info!("websocket connection dropped without a close frame");
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                return;
            }
        };
        let wait = self.config.close_timeout;
        self.close_with(|open| closing::by_server(open, frame, wait));
    }

    /// Starts a close handshake on the open connection, by `start`.
    fn close_with(&mut self, start: impl FnOnce(Box<Open>) -> BoxFuture<'static, CloseCode>) {
        if let Phase::Open(open) =
            std::mem::replace(&mut self.phase, Phase::Done(CloseCode::ABNORMAL))
        {
            self.phase = Phase::Closing(start(open));
        }
    }

    /// Drives a close handshake to its end.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<CloseCode> {
        let code = match &mut self.phase {
            Phase::Closing(closing) => ready!(closing.poll_unpin(cx)),
            Phase::Done(code) => *code,
            _ => return Poll::Ready(CloseCode::ABNORMAL),
        };
        self.phase = Phase::Done(code);
        Poll::Ready(code)
    }
}

#[async_trait]
impl WebsocketIo for DriverIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        loop {
            match &mut self.phase {
                Phase::Handshake(handshake) if !handshake.connect_reported => {
                    handshake.connect_reported = true;
                    return Poll::Ready(Inbound::Connect);
                }
                Phase::Handshake(handshake) => {
                    // Waiting before answering the handshake: only the client
                    // leaving (or the handshake timing out) can happen now.
                    ready!(handshake.respond.poll_closed(cx));
                    self.phase = Phase::Done(CloseCode::ABNORMAL);
                }
                Phase::Open(open) => match ready!(open.poll_step(cx, &self.config)) {
                    Step::Deliver(inbound) => return Poll::Ready(inbound),
                    Step::Fail(failure) => self.fail(failure),
                    Step::ClientClosed(code) => {
                        let wait = self.config.close_timeout;
                        self.close_with(|open| closing::by_client(open, code, wait));
                    }
                    Step::Shutdown => {
                        let frame = CloseFrame::new(CloseCode::GOING_AWAY)
                            .with_reason("server shutting down");
                        let wait = self.config.close_timeout;
                        self.close_with(|open| closing::by_server(open, frame, wait));
                    }
                },
                Phase::Closing(_) | Phase::Done(_) => {
                    return self.poll_closing(cx).map(Inbound::Disconnect);
                }
            }
        }
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done(CloseCode::ABNORMAL));
        match (phase, action) {
            (Phase::Handshake(handshake), Outbound::Accept(accept)) => {
                self.accept(handshake, accept).await
            }
            (Phase::Handshake(handshake), Outbound::Deny(deny)) => {
                self.deny(*handshake, deny);
                Ok(())
            }
            (Phase::Handshake(handshake), Outbound::Close(_)) => {
                self.deny(*handshake, Deny::default());
                Ok(())
            }
            (Phase::Handshake(handshake), Outbound::Send(_)) => {
                tracing::error!("application sent a message before accepting; refusing");
                self.deny(
                    *handshake,
                    Deny::new(http::StatusCode::INTERNAL_SERVER_ERROR),
                );
                Err(ConnectionClosed)
            }
            (phase @ Phase::Open(_), Outbound::Send(message)) => {
                self.phase = phase;
                self.send_message(message).await
            }
            (Phase::Open(open), Outbound::Close(frame)) => {
                self.phase =
                    Phase::Closing(closing::by_server(open, frame, self.config.close_timeout));
                poll_fn(|cx| self.poll_closing(cx)).await;
                Ok(())
            }
            (phase @ Phase::Open(_), action) => {
                tracing::warn!(?action, "ignored: the handshake is already accepted");
                self.phase = phase;
                Ok(())
            }
            (phase @ (Phase::Closing(_) | Phase::Done(_)), _) => {
                self.phase = phase;
                Err(ConnectionClosed)
            }
        }
    }
}
