//! The consumer's side of a transport session: a third driver of the one
//! contract, next to the WebSocket driver and the test communicator.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use aqueduct_core::__private::text_response;
use aqueduct_core::{
    Accept, Body, CloseCode, CloseFrame, ConnectionClosed, Deny, Inbound, Message, Outbound,
    WebsocketIo,
};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Response, StatusCode, header};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep, sleep_until};

use super::session::{Full, Registry, Session};
use super::wire::Opened;

/// Drives one session for the application that owns it.
pub(crate) struct SessionIo {
    pub(crate) id: Arc<str>,
    pub(crate) session: Arc<Session>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) phase: Phase,
    pub(crate) timing: Timing,
    /// Fires when the host starts to shut down.
    pub(crate) shutdown: BoxFuture<'static, ()>,
    /// Wakes the task to see whether the client abandoned the session.
    pub(crate) expiry: Pin<Box<Sleep>>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) poll_timeout: Duration,
    pub(crate) session_timeout: Duration,
    pub(crate) write_timeout: Duration,
}

pub(crate) enum Phase {
    Opening {
        connect_reported: bool,
        respond: oneshot::Sender<Response<Body>>,
    },
    Open,
    Done(CloseCode),
}

impl SessionIo {
    fn accept(&mut self, respond: oneshot::Sender<Response<Body>>, accept: Accept) -> bool {
        let opened = Opened {
            session: &self.id,
            subprotocol: accept.subprotocol.as_deref(),
            poll_timeout_ms: u64::try_from(self.timing.poll_timeout.as_millis())
                .unwrap_or(u64::MAX),
        };
        let body = serde_json::to_vec(&opened).unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        response.headers_mut().extend(accept.headers);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        tracing::info!(
            subprotocol = accept.subprotocol.as_deref(),
            "session accepted"
        );
        respond.send(response).is_ok()
    }

    fn deny(&mut self, respond: oneshot::Sender<Response<Body>>, deny: Deny) {
        let mut response = text_response(deny.status, deny.body);
        response.headers_mut().extend(deny.headers);
        tracing::info!(status = deny.status.as_u16(), "session rejected");
        let _ = respond.send(response);
        self.end(CloseCode::ABNORMAL);
    }

    /// Ends the session for good: it leaves the registry at once unless
    /// a close waits for the client.
    fn end(&mut self, code: CloseCode) {
        self.phase = Phase::Done(code);
        let mut state = self.session.lock();
        state.ended = true;
        let keep = state.close_queued && !state.items.is_empty();
        drop(state);
        if !keep {
            self.registry.remove(&self.id);
        }
        self.session.to_client.notify_waiters();
        self.session.outbound_space.notify_waiters();
        self.session.inbound_space.notify_waiters();
    }

    /// Queues `message` for the client, waiting for room as a WebSocket
    /// write waits for the client to read, and as long.
    async fn send_message(&mut self, message: Message) -> Result<(), ConnectionClosed> {
        let deadline = Instant::now() + self.timing.write_timeout;
        let session = self.session.clone();
        let mut message = message;
        loop {
            let space = session.outbound_space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            let pushed = session.lock().push_message(message);
            match pushed {
                Ok(()) => {
                    session.to_client.notify_waiters();
                    return Ok(());
                }
                Err((Full::Ended, _)) => return Err(ConnectionClosed),
                Err((Full::Wait, back)) => message = back,
            }
            if tokio::time::timeout_at(deadline, space).await.is_err() {
                tracing::warn!(
                    timeout = ?self.timing.write_timeout,
                    "client is not polling; dropping the session"
                );
                // What it never fetched is dropped, so it is told so, as
                // the one thing left for it: a client that polls again
                // learns it missed messages, rather than finding nothing.
                {
                    let mut state = session.lock();
                    let last = state.last_seq();
                    state.forget_through(last);
                    state.push_close(
                        CloseFrame::new(CloseCode::MISSED_MESSAGES)
                            .with_reason("missed messages: the client did not poll"),
                    );
                }
                self.end(CloseCode::ABNORMAL);
                return Err(ConnectionClosed);
            }
        }
    }

    /// Checks whether the client abandoned the session; if not, sets the
    /// timer for when it next could have.
    fn poll_expiry(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.expiry.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let now = Instant::now();
            let state = self.session.lock();
            let next = if state.receiving {
                // Waiting for a poll that is waiting itself: look again
                // once it would have ended.
                now + self.timing.poll_timeout + self.timing.session_timeout
            } else {
                state.last_seen + self.timing.session_timeout
            };
            drop(state);
            if next <= now {
                return Poll::Ready(());
            }
            self.expiry.as_mut().reset(next);
        }
    }
}

#[async_trait]
impl WebsocketIo for SessionIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        match &mut self.phase {
            Phase::Opening {
                connect_reported,
                respond,
            } => {
                if !std::mem::replace(connect_reported, true) {
                    return Poll::Ready(Inbound::Connect);
                }
                // Only the client leaving can happen before the answer.
                std::task::ready!(respond.poll_closed(cx));
                tracing::debug!("client left before the session was accepted");
                self.end(CloseCode::ABNORMAL);
                Poll::Ready(Inbound::Disconnect(CloseCode::ABNORMAL))
            }
            Phase::Done(code) => Poll::Ready(Inbound::Disconnect(*code)),
            Phase::Open => {
                if self.shutdown.as_mut().poll(cx).is_ready() {
                    let frame =
                        CloseFrame::new(CloseCode::GOING_AWAY).with_reason("server shutting down");
                    self.session.lock().push_close(frame);
                    self.end(CloseCode::GOING_AWAY);
                    return Poll::Ready(Inbound::Disconnect(CloseCode::GOING_AWAY));
                }
                {
                    let mut state = self.session.lock();
                    if let Some(message) = state.inbound.pop_front() {
                        drop(state);
                        self.session.inbound_space.notify_one();
                        return Poll::Ready(Inbound::Receive(message));
                    }
                    if let Some(code) = state.client_close {
                        drop(state);
                        self.end(code);
                        return Poll::Ready(Inbound::Disconnect(code));
                    }
                    state.waker = Some(cx.waker().clone());
                }
                if self.poll_expiry(cx).is_ready() {
                    tracing::info!("session abandoned: no poll within the session timeout");
                    self.end(CloseCode::ABNORMAL);
                    return Poll::Ready(Inbound::Disconnect(CloseCode::ABNORMAL));
                }
                Poll::Pending
            }
        }
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done(CloseCode::ABNORMAL));
        match (phase, action) {
            (Phase::Opening { respond, .. }, Outbound::Accept(accept)) => {
                self.phase = Phase::Open;
                if self.accept(respond, accept) {
                    Ok(())
                } else {
                    tracing::debug!("client left before the session was accepted");
                    self.end(CloseCode::ABNORMAL);
                    Err(ConnectionClosed)
                }
            }
            (Phase::Opening { respond, .. }, Outbound::Deny(deny)) => {
                self.deny(respond, deny);
                Ok(())
            }
            (Phase::Opening { respond, .. }, Outbound::Close(_)) => {
                self.deny(respond, Deny::default());
                Ok(())
            }
            (Phase::Opening { respond, .. }, Outbound::Send(_)) => {
                tracing::error!("application sent a message before accepting; refusing");
                self.deny(respond, Deny::new(StatusCode::INTERNAL_SERVER_ERROR));
                Err(ConnectionClosed)
            }
            (Phase::Open, Outbound::Send(message)) => {
                self.phase = Phase::Open;
                self.send_message(message).await
            }
            (Phase::Open, Outbound::Close(frame)) => {
                let code = frame.code;
                self.session.lock().push_close(frame);
                self.end(code);
                Ok(())
            }
            (Phase::Open, action) => {
                tracing::warn!(?action, "ignored: the session is already accepted");
                self.phase = Phase::Open;
                Ok(())
            }
            (phase @ Phase::Done(_), _) => {
                self.phase = phase;
                Err(ConnectionClosed)
            }
        }
    }
}

impl Drop for SessionIo {
    /// A task that ends without reporting the end (a panic, a shutdown
    /// deadline) still ends its session.
    fn drop(&mut self) {
        if !matches!(self.phase, Phase::Done(_)) {
            self.end(CloseCode::ABNORMAL);
        }
    }
}

/// The expiry timer of a new session.
pub(crate) fn expiry_timer(timing: Timing) -> Pin<Box<Sleep>> {
    Box::pin(sleep_until(Instant::now() + timing.session_timeout))
}
