//! The server's side of a WebSocket conversation, over a real socket.

use std::pin::Pin;
use std::sync::Arc;

use aqueduct_core::{
    Accept, Body, CloseCode, CloseFrame, ConnectionClosed, Deny, Inbound, Message, Outbound,
    Utf8Bytes, WebsocketIo,
};
use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Response, header};
use hyper_tungstenite::tungstenite::{self, protocol::frame::coding};
use hyper_tungstenite::{HyperWebsocket, HyperWebsocketStream};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep, sleep_until, timeout};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::failure::{Failure, classify};
use crate::config::Config;

/// Drives one WebSocket connection for the application that owns it.
pub(crate) struct ServerIo {
    phase: Phase,
    config: Arc<Config>,
    shutdown: CancellationToken,
}

enum Phase {
    Handshake(Box<Handshake>),
    Open(Box<Open>),
    Done(CloseCode),
}

struct Handshake {
    connect_reported: bool,
    /// The `101` hyper-tungstenite prepared; sent only once the app accepts.
    switching: Response<Body>,
    respond: oneshot::Sender<Response<Body>>,
    upgrade: HyperWebsocket,
}

struct Open {
    ws: HyperWebsocketStream,
    /// When the client last sent anything; pings start after a quiet spell.
    last_seen: Instant,
    ping_sent: Option<Instant>,
    heartbeat: Pin<Box<Sleep>>,
    shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl ServerIo {
    pub(crate) fn new(
        switching: Response<Body>,
        respond: oneshot::Sender<Response<Body>>,
        upgrade: HyperWebsocket,
        config: Arc<Config>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            phase: Phase::Handshake(Box::new(Handshake {
                connect_reported: false,
                switching,
                respond,
                upgrade,
            })),
            config,
            shutdown,
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
        let ws = match timeout(self.config.handshake_timeout, upgrade).await {
            Ok(Ok(ws)) => ws,
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
        tracing::info!(
            subprotocol = accept.subprotocol.as_deref(),
            "websocket accepted"
        );
        let now = Instant::now();
        self.phase = Phase::Open(Box::new(Open {
            ws,
            last_seen: now,
            ping_sent: None,
            heartbeat: Box::pin(sleep_until(now + self.config.ping_interval)),
            shutdown: Box::pin(self.shutdown.clone().cancelled_owned()),
        }));
        Ok(())
    }

    fn deny(&mut self, handshake: Box<Handshake>, deny: Deny) {
        let mut response = Response::new(Body::from(deny.body));
        *response.status_mut() = deny.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
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
            Message::Text(text) => tungstenite::Message::Text(
                tungstenite::Utf8Bytes::try_from(text.into_bytes()).unwrap_or_default(),
            ),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        };
        match timeout(self.config.write_timeout, open.ws.send(frame)).await {
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

    /// Sends our close frame, waits for the client's reply, and ends.
    async fn close(&mut self, frame: CloseFrame) -> CloseCode {
        let code = frame.code;
        if let Phase::Open(open) = &mut self.phase {
            let close = tungstenite::protocol::CloseFrame {
                code: coding::CloseCode::from(code.as_u16()),
                reason: frame.reason.into(),
            };
            let deadline = Instant::now() + self.config.close_timeout;
            let finished = tokio::time::timeout_at(deadline, async {
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
        }
        tracing::info!(code = code.as_u16(), "websocket closed by server");
        self.phase = Phase::Done(code);
        code
    }

    /// Waits for the client's reply to a close it started, then ends.
    async fn finish_client_close(&mut self, code: CloseCode) -> CloseCode {
        if let Phase::Open(open) = &mut self.phase {
            let drained = timeout(self.config.close_timeout, async {
                while let Some(Ok(_)) = open.ws.next().await {}
            });
            let _ = drained.await;
        }
        tracing::info!(code = code.as_u16(), "websocket closed by client");
        self.phase = Phase::Done(code);
        code
    }

    async fn recv_open(&mut self) -> Inbound {
        loop {
            let Phase::Open(open) = &mut self.phase else {
                return self.recv_closed();
            };
            let Open {
                ws,
                last_seen,
                ping_sent,
                heartbeat,
                shutdown,
            } = &mut **open;
            tokio::select! {
                biased;
                () = shutdown.as_mut() => {
                    let frame = CloseFrame::new(CloseCode::GOING_AWAY).with_reason("server shutting down");
                    return Inbound::Disconnect(self.close(frame).await);
                }
                frame = ws.next() => {
                    *last_seen = Instant::now();
                    *ping_sent = None;
                    match frame {
                        Some(Ok(tungstenite::Message::Text(text))) => {
                            match Utf8Bytes::try_from(bytes::Bytes::from(text)) {
                                Ok(text) => return Inbound::Receive(Message::Text(text)),
                                Err(_) => return self.fail(Failure::Close(CloseCode::INVALID_PAYLOAD, "invalid UTF-8")).await,
                            }
                        }
                        Some(Ok(tungstenite::Message::Binary(bytes))) => {
                            return Inbound::Receive(Message::Binary(bytes));
                        }
                        Some(Ok(tungstenite::Message::Close(frame))) => {
                            let code = frame.map_or(CloseCode::NO_STATUS, |f| CloseCode::from(u16::from(f.code)));
                            return Inbound::Disconnect(self.finish_client_close(code).await);
                        }
                        // Pongs to our pings, and pings tungstenite answers itself.
                        Some(Ok(_)) => {}
                        Some(Err(err)) => {
                            tracing::debug!(error = %err, "read failed");
                            return self.fail(classify(&err)).await;
                        }
                        None => return self.fail(Failure::Gone).await,
                    }
                }
                () = heartbeat.as_mut() => {
                    let now = Instant::now();
                    if let Some(sent) = *ping_sent {
                        if now >= sent + self.config.ping_timeout {
                            tracing::info!("no answer to ping; dropping the connection");
                            return self.fail(Failure::Gone).await;
                        }
                        heartbeat.as_mut().reset(sent + self.config.ping_timeout);
                    } else if now >= *last_seen + self.config.ping_interval {
                        if ws.send(tungstenite::Message::Ping(bytes::Bytes::new())).await.is_err() {
                            return self.fail(Failure::Gone).await;
                        }
                        *ping_sent = Some(now);
                        heartbeat.as_mut().reset(now + self.config.ping_timeout);
                    } else {
                        heartbeat.as_mut().reset(*last_seen + self.config.ping_interval);
                    }
                }
            }
        }
    }

    async fn fail(&mut self, failure: Failure) -> Inbound {
        match failure {
            Failure::Close(code, reason) => {
                tracing::warn!(
                    code = code.as_u16(),
                    reason,
                    "closing: bad input from client"
                );
                Inbound::Disconnect(self.close(CloseFrame::new(code).with_reason(reason)).await)
            }
            Failure::Gone => {
                tracing::info!("websocket connection dropped without a close frame");
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                Inbound::Disconnect(CloseCode::ABNORMAL)
            }
        }
    }

    fn recv_closed(&self) -> Inbound {
        match self.phase {
            Phase::Done(code) => Inbound::Disconnect(code),
            _ => Inbound::Disconnect(CloseCode::ABNORMAL),
        }
    }
}

#[async_trait]
impl WebsocketIo for ServerIo {
    async fn recv(&mut self) -> Inbound {
        match &mut self.phase {
            Phase::Handshake(handshake) if !handshake.connect_reported => {
                handshake.connect_reported = true;
                Inbound::Connect
            }
            Phase::Handshake(handshake) => {
                // Waiting before answering the handshake: only the client
                // leaving (or the handshake timing out) can happen now.
                handshake.respond.closed().await;
                self.phase = Phase::Done(CloseCode::ABNORMAL);
                Inbound::Disconnect(CloseCode::ABNORMAL)
            }
            Phase::Open(_) => self.recv_open().await,
            Phase::Done(code) => Inbound::Disconnect(*code),
        }
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done(CloseCode::ABNORMAL));
        match (phase, action) {
            (Phase::Handshake(handshake), Outbound::Accept(accept)) => {
                self.accept(handshake, accept).await
            }
            (Phase::Handshake(handshake), Outbound::Deny(deny)) => {
                self.deny(handshake, deny);
                Ok(())
            }
            (Phase::Handshake(handshake), Outbound::Close(_)) => {
                self.deny(handshake, Deny::default());
                Ok(())
            }
            (Phase::Handshake(handshake), Outbound::Send(_)) => {
                tracing::error!("application sent a message before accepting; refusing");
                self.deny(
                    handshake,
                    Deny::new(http::StatusCode::INTERNAL_SERVER_ERROR),
                );
                Err(ConnectionClosed)
            }
            (phase @ Phase::Open(_), Outbound::Send(message)) => {
                self.phase = phase;
                self.send_message(message).await
            }
            (phase @ Phase::Open(_), Outbound::Close(frame)) => {
                self.phase = phase;
                self.close(frame).await;
                Ok(())
            }
            (phase @ Phase::Open(_), action) => {
                tracing::warn!(?action, "ignored: the handshake is already accepted");
                self.phase = phase;
                Ok(())
            }
            (phase @ Phase::Done(_), _) => {
                self.phase = phase;
                Err(ConnectionClosed)
            }
        }
    }
}
