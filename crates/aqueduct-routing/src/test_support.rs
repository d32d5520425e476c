//! Test helpers: an in-memory driver and applications that record what
//! they were given.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

#[cfg(feature = "views")]
use std::task::ready;

use aqueduct_core::{
    Accept, AppFuture, CloseCode, ConnectionClosed, Inbound, Outbound, Scope, ScopeKind,
    WebsocketApp, WebsocketIo,
};
use async_trait::async_trait;
use http::StatusCode;

/// A driver that says `Connect`, then `Disconnect`, and records what the
/// application sends.
pub(crate) struct TestIo {
    inbound: VecDeque<Inbound>,
    sent: Arc<Mutex<Vec<Outbound>>>,
}

#[async_trait]
impl WebsocketIo for TestIo {
    fn poll_recv(&mut self, _cx: &mut Context<'_>) -> Poll<Inbound> {
        Poll::Ready(
            self.inbound
                .pop_front()
                .unwrap_or(Inbound::Disconnect(CloseCode::NORMAL)),
        )
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        self.sent.lock().unwrap().push(action);
        Ok(())
    }
}

/// What happened to one connection.
#[derive(Debug)]
pub(crate) struct Visit {
    /// The name of the probe that got the connection, if any did.
    pub(crate) app: Option<&'static str>,
    /// The scope that probe got.
    pub(crate) scope: Option<Scope>,
    /// What the application sent to the driver.
    pub(crate) sent: Vec<Outbound>,
}

impl Visit {
    /// The status of the refusal, if the handshake was refused.
    pub(crate) fn denied(&self) -> Option<StatusCode> {
        match self.sent.first() {
            Some(Outbound::Deny(deny)) => Some(deny.status),
            _ => None,
        }
    }

    /// The body of the refusal, if the handshake was refused.
    pub(crate) fn deny_body(&self) -> Option<&str> {
        match self.sent.first() {
            Some(Outbound::Deny(deny)) => Some(&deny.body),
            _ => None,
        }
    }

    /// The scope the probe got; panics when no probe got the connection.
    pub(crate) fn scope(&self) -> &Scope {
        self.scope.as_ref().expect("no probe got the connection")
    }
}

/// A set of named test applications sharing one log.
#[derive(Clone, Default)]
pub(crate) struct Probes {
    log: Arc<Mutex<Vec<(&'static str, Scope)>>>,
}

/// An application that records its name and scope, then accepts.
pub(crate) struct Probe {
    name: &'static str,
    log: Arc<Mutex<Vec<(&'static str, Scope)>>>,
}

impl WebsocketApp for Probe {
    fn call(&self, scope: Scope, mut io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(async move {
            self.log.lock().unwrap().push((self.name, scope));
            if io.recv().await == Inbound::Connect {
                let _ = io.send(Outbound::Accept(Accept::new())).await;
            }
        })
    }
}

impl Probes {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A probe application called `name`.
    pub(crate) fn app(&self, name: &'static str) -> Probe {
        Probe {
            name,
            log: self.log.clone(),
        }
    }

    /// Runs one WebSocket connection to `path` through `app`.
    pub(crate) async fn connect(&self, app: &dyn WebsocketApp, path: &str) -> Visit {
        self.run(app, Scope::new(ScopeKind::Websocket, path)).await
    }

    /// Runs one WebSocket connection with a prepared scope through `app`.
    pub(crate) async fn run(&self, app: &dyn WebsocketApp, scope: Scope) -> Visit {
        self.log.lock().unwrap().clear();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let io = TestIo {
            inbound: VecDeque::from([Inbound::Connect]),
            sent: sent.clone(),
        };
        app.call(scope, Box::new(io)).await;
        let visited = self.log.lock().unwrap().pop();
        let sent = std::mem::take(&mut *sent.lock().unwrap());
        Visit {
            app: visited.as_ref().map(|(name, _)| *name),
            scope: visited.map(|(_, scope)| scope),
            sent,
        }
    }
}

/// A driver fed by a channel: `recv` waits for what the test sends, so an
/// application can be caught with nothing to read. Dropping the sender
/// is the client leaving (1006); the application's close ends it too.
/// Only the views' tests need one.
#[cfg(feature = "views")]
pub(crate) struct ChannelIo {
    inbound: tokio::sync::mpsc::Receiver<Inbound>,
    sent: Arc<Mutex<Vec<Outbound>>>,
    ended: Option<CloseCode>,
}

#[cfg(feature = "views")]
impl ChannelIo {
    /// The driver, the sender that plays the client, and the log of what
    /// the application sent. The channel holds `capacity` events.
    pub(crate) fn new(
        capacity: usize,
    ) -> (
        Self,
        tokio::sync::mpsc::Sender<Inbound>,
        Arc<Mutex<Vec<Outbound>>>,
    ) {
        let (tx, inbound) = tokio::sync::mpsc::channel(capacity);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let io = Self {
            inbound,
            sent: sent.clone(),
            ended: None,
        };
        (io, tx, sent)
    }
}

#[cfg(feature = "views")]
#[async_trait]
impl WebsocketIo for ChannelIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Inbound> {
        if let Some(code) = self.ended {
            return Poll::Ready(Inbound::Disconnect(code));
        }
        let inbound =
            ready!(self.inbound.poll_recv(cx)).unwrap_or(Inbound::Disconnect(CloseCode::ABNORMAL));
        if let Inbound::Disconnect(code) = inbound {
            self.ended = Some(code);
        }
        Poll::Ready(inbound)
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        if self.ended.is_some() {
            return Err(ConnectionClosed);
        }
        if let Outbound::Close(frame) = &action {
            self.ended = Some(frame.code);
        }
        self.sent.lock().unwrap().push(action);
        Ok(())
    }
}
