//! An open WebSocket: what it waits on, and what each wake-up means.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use aqueduct_core::__private::text_from_tungstenite;
use aqueduct_core::{CloseCode, Inbound, Message};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper_tungstenite::WebSocketStream;
use hyper_tungstenite::tungstenite;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::failure::{Failure, classify};
use crate::lean::LeanIo;
use crate::limits::Limits;
use crate::rate::{Rate, TokenBucket};
use crate::shutdown::ShutdownWatch;
use crate::stream::Stream;

/// The WebSocket over the upgraded connection.
pub(crate) type Socket = WebSocketStream<LeanIo<Stream>>;

/// An accepted connection, as long as neither side has started to close.
pub(crate) struct Open {
    pub(crate) ws: Socket,
    /// Whether the client sent anything since the heartbeat last fired.
    /// A flag, not a time: reading the clock for every frame would cost
    /// more than the heartbeat's precision is worth.
    heard: bool,
    ping_sent: Option<Instant>,
    heartbeat: Pin<Box<Sleep>>,
    shutdown: ShutdownWatch,
    /// The client's message rate, when it is limited.
    messages: Option<(Rate, TokenBucket)>,
    /// Whether the client asked for the application-level heartbeat, so
    /// that its `aqueduct:ping` messages are answered here.
    heartbeat_requested: bool,
}

/// Why an open connection stopped waiting.
pub(crate) enum Step {
    /// Hand this to the application.
    Deliver(Inbound),
    /// Give up on the client.
    Fail(Failure),
    /// The client sent a close frame with this code.
    ClientClosed(CloseCode),
    /// The server is shutting down.
    Shutdown,
}

impl Open {
    pub(crate) fn new(
        ws: Socket,
        config: &Limits,
        shutdown: ShutdownWatch,
        heartbeat_requested: bool,
    ) -> Self {
        let now = Instant::now();
        Self {
            ws,
            heard: false,
            ping_sent: None,
            heartbeat: Box::pin(sleep_until(now + config.ping_interval)),
            shutdown,
            messages: config
                .message_rate
                .map(|rate| (rate, TokenBucket::full(rate, now))),
            heartbeat_requested,
        }
    }

    /// Polls what an open connection waits on, shutdown first. Pongs,
    /// pings and timer resets are dealt with here; only what the
    /// application or a close handshake must see comes out.
    pub(crate) fn poll_step(&mut self, cx: &mut Context<'_>, config: &Limits) -> Poll<Step> {
        loop {
            if self.shutdown.poll(cx).is_ready() {
                return Poll::Ready(Step::Shutdown);
            }
            if let Poll::Ready(frame) = self.ws.poll_next_unpin(cx) {
                self.heard = true;
                let Some(step) = on_frame(frame) else {
                    continue;
                };
                if let Step::Deliver(Inbound::Receive(_)) = step
                    && let Some(rate) = self.over_rate()
                {
                    return Poll::Ready(Step::Fail(Failure::TooManyMessages(rate)));
                }
                // After the rate check: pings count like any message, so
                // a client cannot flood the server with them for free.
                if self.heartbeat_requested && is_ping(&step) {
                    if self.send_now(cx, tungstenite::Message::text(PONG)).is_err() {
                        return Poll::Ready(Step::Fail(Failure::Gone));
                    }
                    continue;
                }
                return Poll::Ready(step);
            }
            if self.heartbeat.as_mut().poll(cx).is_ready() {
                match self.on_heartbeat(cx, config) {
                    Some(step) => return Poll::Ready(step),
                    // The timer was reset: poll it again to wait on it.
                    None => continue,
                }
            }
            return Poll::Pending;
        }
    }

    /// Counts one message from the client against its rate, if limited;
    /// returns the rate if the message is one too many.
    fn over_rate(&mut self) -> Option<Rate> {
        let (rate, bucket) = self.messages.as_mut()?;
        (!bucket.try_take(*rate, Instant::now)).then_some(*rate)
    }

    /// The heartbeat timer fired: ping a client quiet for a whole interval
    /// (so between one and two intervals of silence), and drop one that
    /// stays silent for the ping timeout after.
    fn on_heartbeat(&mut self, cx: &mut Context<'_>, config: &Limits) -> Option<Step> {
        let now = Instant::now();
        if std::mem::take(&mut self.heard) {
            self.ping_sent = None;
            self.heartbeat.as_mut().reset(now + config.ping_interval);
        } else if let Some(sent) = self.ping_sent {
            if now >= sent + config.ping_timeout {
                tracing::info!("no answer to ping; dropping the connection");
                return Some(Step::Fail(Failure::Gone));
            }
            self.heartbeat.as_mut().reset(sent + config.ping_timeout);
        } else {
            self.ping_sent = Some(now);
            self.heartbeat.as_mut().reset(now + config.ping_timeout);
            if self.ping(cx).is_err() {
                return Some(Step::Fail(Failure::Gone));
            }
        }
        None
    }

    /// Queues a ping without waiting. A client too slow to take it is
    /// dropped by the ping timeout anyway.
    fn ping(&mut self, cx: &mut Context<'_>) -> Result<(), tungstenite::Error> {
        self.send_now(cx, tungstenite::Message::Ping(Bytes::new()))
    }

    /// Queues a frame of the server's own (a ping, a pong) without
    /// waiting: one the client is too slow to take is left out, and the
    /// heartbeat on whichever side sent it deals with that client.
    fn send_now(
        &mut self,
        cx: &mut Context<'_>,
        frame: tungstenite::Message,
    ) -> Result<(), tungstenite::Error> {
        if self.ws.poll_ready_unpin(cx)?.is_pending() {
            return Ok(());
        }
        self.ws.start_send_unpin(frame)?;
        match self.ws.poll_flush_unpin(cx) {
            Poll::Ready(Err(err)) => Err(err),
            // Not flushed yet: the next write or flush takes it along.
            Poll::Ready(Ok(())) | Poll::Pending => Ok(()),
        }
    }
}

/// The application-level heartbeat of `aqueduct.js`, for browsers, which
/// cannot send protocol pings: a client that adds the query parameter
/// [`HEARTBEAT_PARAM`] sends the text message [`PING`] now and then, and
/// the driver answers [`PONG`] without the application seeing either.
pub(crate) const PING: &str = "aqueduct:ping";
/// The answer to [`PING`].
pub(crate) const PONG: &str = "aqueduct:pong";
/// The query parameter a client asks for the heartbeat with.
pub(crate) const HEARTBEAT_PARAM: &str = "aqueduct-heartbeat";

/// Whether the client asked for the heartbeat; the parameter is taken out
/// of the scope, since it is the driver's and not the application's.
pub(crate) fn take_heartbeat_param(scope: &mut aqueduct_core::Scope) -> bool {
    let query = scope.query_string();
    if !query.contains(HEARTBEAT_PARAM) {
        return false;
    }
    let (ours, theirs): (Vec<&str>, Vec<&str>) = query
        .split('&')
        .partition(|pair| pair.split('=').next() == Some(HEARTBEAT_PARAM));
    let requested = ours.iter().any(|pair| !pair.ends_with("=0"));
    let rest = theirs.join("&");
    scope.set_query_string(rest);
    requested
}

fn is_ping(step: &Step) -> bool {
    matches!(step, Step::Deliver(Inbound::Receive(Message::Text(text))) if text.as_str() == PING)
}

/// What a frame from the client means for the application; `None` for
/// frames tungstenite has dealt with (pongs, pings).
fn on_frame(frame: Option<Result<tungstenite::Message, tungstenite::Error>>) -> Option<Step> {
    let step = match frame {
        // tungstenite checked the text, and closes with 1007 if it is not UTF-8.
        Some(Ok(tungstenite::Message::Text(text))) => {
            Step::Deliver(Inbound::Receive(Message::Text(text_from_tungstenite(text))))
        }
        Some(Ok(tungstenite::Message::Binary(bytes))) => {
            Step::Deliver(Inbound::Receive(Message::Binary(bytes)))
        }
        Some(Ok(tungstenite::Message::Close(frame))) => Step::ClientClosed(
            frame.map_or(CloseCode::NO_STATUS, |f| CloseCode::from(u16::from(f.code))),
        ),
        Some(Ok(_)) => return None,
        Some(Err(err)) => {
            tracing::debug!(error = %err, "read failed");
            Step::Fail(classify(&err))
        }
        None => Step::Fail(Failure::Gone),
    };
    Some(step)
}

#[cfg(test)]
mod tests {
    use aqueduct_core::{Scope, ScopeKind};

    use super::take_heartbeat_param;

    #[test]
    fn the_heartbeat_parameter_is_the_drivers_alone() {
        #[rustfmt::skip]
        let table = [
            ("/ws/?aqueduct-heartbeat=1",                 true,  ""),
            ("/ws/?token=a&aqueduct-heartbeat=1&room=b",  true,  "token=a&room=b"),
            ("/ws/?aqueduct-heartbeat=0",                 false, ""),
            ("/ws/?aqueduct-heartbeat-x=1",               false, "aqueduct-heartbeat-x=1"),
            ("/ws/?token=a",                              false, "token=a"),
        ];
        for (path, requested, rest) in table {
            let mut scope = Scope::new(ScopeKind::Websocket, path);
            assert_eq!(take_heartbeat_param(&mut scope), requested, "{path}");
            assert_eq!(scope.query_string(), rest, "{path}");
        }
    }
}
