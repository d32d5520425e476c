//! The server's side of a WebSocket conversation, over a real socket.

use std::pin::Pin;
use std::sync::Arc;

use aqueduct_core::{
    Accept, Body, CloseCode, CloseFrame, ConnectionClosed, Deny, Inbound, Message, Outbound,
    Utf8Bytes, WebsocketIo,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, SinkExt, StreamExt};
use http::{HeaderValue, Response, header};
use hyper::upgrade::OnUpgrade;
use hyper_tungstenite::WebSocketStream;
use hyper_tungstenite::tungstenite;
use hyper_tungstenite::tungstenite::protocol::{Role, frame::coding};
use hyper_util::rt::TokioIo;
use std::future::{Future, poll_fn};
use std::task::Poll;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep, sleep_until, timeout};

use super::failure::{Failure, classify};
use super::lean::LeanIo;
use crate::config::Config;
use crate::shutdown::{Shutdown, ShutdownWatch};

/// Drives one WebSocket connection for the application that owns it.
pub(crate) struct ServerIo {
    phase: Phase,
    config: Arc<Config>,
    shutdown: Shutdown,
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
    upgrade: OnUpgrade,
}

/// The WebSocket over the upgraded connection.
type Socket = WebSocketStream<LeanIo<TcpStream>>;

struct Open {
    ws: Socket,
    /// When the client last sent anything; pings start after a quiet spell.
    last_seen: Instant,
    ping_sent: Option<Instant>,
    heartbeat: Pin<Box<Sleep>>,
    shutdown: ShutdownWatch,
}

/// What an open connection does next, decided without waiting.
enum Step {
    /// Hand this to the application.
    Deliver(Inbound),
    /// Nothing for the application (a pong, a timer reset); wait again.
    Wait,
    /// Ping the client, which has been quiet.
    Ping,
    /// Give up on the client.
    Fail(Failure),
    /// The client sent a close frame with this code.
    ClientClosed(CloseCode),
    /// The server is shutting down.
    Shutdown,
}

impl Open {
    /// Polls what an open connection waits on, shutdown first.
    fn poll_step(&mut self, cx: &mut std::task::Context<'_>, config: &Config) -> Poll<Step> {
        if self.shutdown.poll(cx).is_ready() {
            return Poll::Ready(Step::Shutdown);
        }
        if let Poll::Ready(frame) = self.ws.poll_next_unpin(cx) {
            self.last_seen = Instant::now();
            self.ping_sent = None;
            return Poll::Ready(on_frame(frame));
        }
        if self.heartbeat.as_mut().poll(cx).is_ready() {
            return Poll::Ready(self.on_heartbeat(config));
        }
        Poll::Pending
    }

    /// The heartbeat timer fired: ping a quiet client, drop a silent one.
    fn on_heartbeat(&mut self, config: &Config) -> Step {
        let now = Instant::now();
        if let Some(sent) = self.ping_sent {
            if now >= sent + config.ping_timeout {
                tracing::info!("no answer to ping; dropping the connection");
                return Step::Fail(Failure::Gone);
            }
            self.heartbeat.as_mut().reset(sent + config.ping_timeout);
            Step::Wait
        } else if now >= self.last_seen + config.ping_interval {
            self.ping_sent = Some(now);
            self.heartbeat.as_mut().reset(now + config.ping_timeout);
            Step::Ping
        } else {
            self.heartbeat
                .as_mut()
                .reset(self.last_seen + config.ping_interval);
            Step::Wait
        }
    }
}

/// What a frame from the client means for the application.
fn on_frame(frame: Option<Result<tungstenite::Message, tungstenite::Error>>) -> Step {
    match frame {
        Some(Ok(tungstenite::Message::Text(text))) => {
            match Utf8Bytes::try_from(Bytes::from(text)) {
                Ok(text) => Step::Deliver(Inbound::Receive(Message::Text(text))),
                Err(_) => Step::Fail(Failure::Close(CloseCode::INVALID_PAYLOAD, "invalid UTF-8")),
            }
        }
        Some(Ok(tungstenite::Message::Binary(bytes))) => {
            Step::Deliver(Inbound::Receive(Message::Binary(bytes)))
        }
        Some(Ok(tungstenite::Message::Close(frame))) => Step::ClientClosed(
            frame.map_or(CloseCode::NO_STATUS, |f| CloseCode::from(u16::from(f.code))),
        ),
        // Pongs to our pings, and pings tungstenite answers itself.
        Some(Ok(_)) => Step::Wait,
        Some(Err(err)) => {
            tracing::debug!(error = %err, "read failed");
            Step::Fail(classify(&err))
        }
        None => Step::Fail(Failure::Gone),
    }
}

impl ServerIo {
    pub(crate) fn new(
        switching: Response<Body>,
        respond: oneshot::Sender<Response<Body>>,
        upgrade: OnUpgrade,
        config: Arc<Config>,
        shutdown: Shutdown,
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
        // Back to the bare socket: every read and write would otherwise go
        // through hyper's boxed, rewindable IO and two adapters.
        let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>() else {
            tracing::error!("upgraded connection is not the TCP stream it was served on");
            self.phase = Phase::Done(CloseCode::ABNORMAL);
            return Err(ConnectionClosed);
        };
        let io = LeanIo::new(parts.io.into_inner(), &parts.read_buf);
        let config = Some(self.config.websocket());
        let ws = WebSocketStream::from_raw_socket(io, Role::Server, config).await;
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
            shutdown: self.shutdown.watch(),
        }));
        Ok(())
    }

    fn deny(&mut self, handshake: Handshake, deny: Deny) {
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

    /// Waits for the next message.
    ///
    /// Every idle connection holds this future, so it is kept to a few
    /// words: the waiting is one `poll_fn`, and the rare paths (a ping, a
    /// close handshake, a failure) are boxed rather than inlined into it.
    async fn recv_open(&mut self) -> Inbound {
        loop {
            let Phase::Open(open) = &mut self.phase else {
                return self.recv_closed();
            };
            let step = poll_fn(|cx| open.poll_step(cx, &self.config)).await;
            match step {
                Step::Deliver(inbound) => return inbound,
                Step::Wait => {}
                Step::Ping => {
                    if Box::pin(open.ws.send(tungstenite::Message::Ping(Bytes::new())))
                        .await
                        .is_err()
                    {
                        return self.fail(Failure::Gone).await;
                    }
                }
                Step::Fail(failure) => return self.fail(failure).await,
                Step::ClientClosed(code) => {
                    return Inbound::Disconnect(Box::pin(self.finish_client_close(code)).await);
                }
                Step::Shutdown => {
                    let frame =
                        CloseFrame::new(CloseCode::GOING_AWAY).with_reason("server shutting down");
                    return Inbound::Disconnect(Box::pin(self.close(frame)).await);
                }
            }
        }
    }

    /// Boxed, as the waits of `recv_open` should not carry a close handshake.
    fn fail(&mut self, failure: Failure) -> BoxFuture<'_, Inbound> {
        Box::pin(async move {
            match failure {
                Failure::Close(code, reason) => {
                    tracing::warn!(
                        code = code.as_u16(),
                        reason,
                        "closing: bad input from client"
                    );
                    let frame = CloseFrame::new(code).with_reason(reason);
                    Inbound::Disconnect(self.close(frame).await)
                }
                Failure::Gone => {
                    tracing::info!("websocket connection dropped without a close frame");
                    self.phase = Phase::Done(CloseCode::ABNORMAL);
                    Inbound::Disconnect(CloseCode::ABNORMAL)
                }
            }
        })
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
