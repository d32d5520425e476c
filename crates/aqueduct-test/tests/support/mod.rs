//! A consumer whose behaviour each test picks, and a log of its hooks.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use aqueduct_core::{
    Accept, CloseCode, Context, Deny, Error, Message, NoEvents, Result, WebsocketConsumer,
};
use async_trait::async_trait;

/// The hooks a consumer ran, in order, shared between the test and the
/// consumer's task.
#[derive(Clone, Debug, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// How many entries start with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.entries()
            .iter()
            .filter(|entry| entry.starts_with(prefix))
            .count()
    }
}

/// What the consumer does in `connect`.
#[derive(Clone, Debug)]
pub enum OnConnect {
    Accept(Accept),
    Deny(Deny),
    /// Close before accepting, which refuses.
    Close,
    /// Return an error before accepting.
    Fail,
    /// Panic before accepting.
    Panic,
    /// Return without accepting or refusing.
    Nothing,
    /// Send a message before accepting: a bug in the consumer.
    SendFirst,
}

/// Echoes messages, except the commands `close <code>`, `fail` and
/// `panic`, and logs every hook.
#[derive(Debug)]
pub struct Scripted {
    pub log: Log,
    pub on_connect: OnConnect,
}

impl Scripted {
    /// A factory for a consumer that accepts plainly.
    pub fn accepting(log: &Log) -> impl Fn() -> Scripted + Send + Sync + 'static {
        Self::factory(log, OnConnect::Accept(Accept::new()))
    }

    pub fn factory(
        log: &Log,
        on_connect: OnConnect,
    ) -> impl Fn() -> Scripted + Send + Sync + 'static {
        let log = log.clone();
        move || Scripted {
            log: log.clone(),
            on_connect: on_connect.clone(),
        }
    }
}

#[async_trait]
impl WebsocketConsumer for Scripted {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        self.log.push("connect");
        match self.on_connect.clone() {
            OnConnect::Accept(accept) => ctx.accept_with(accept).await,
            OnConnect::Deny(deny) => ctx.deny_with(deny).await,
            OnConnect::Close => ctx.close(CloseCode::NORMAL).await,
            OnConnect::Fail => Err(Error::msg("the database is down")),
            OnConnect::Panic => panic!("connect blew up"),
            OnConnect::Nothing => Ok(()),
            OnConnect::SendFirst => ctx.send_text("too early").await,
        }
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        self.log.push(format!("receive {:?}", message.as_text()));
        match message.as_text().unwrap_or_default() {
            "fail" => Err(Error::msg("could not handle the message")),
            "panic" => panic!("receive blew up"),
            text if text.starts_with("close ") => {
                let code: u16 = text["close ".len()..].parse()?;
                ctx.close(CloseCode::from(code)).await
            }
            _ => ctx.send(message).await,
        }
    }

    async fn disconnect(&mut self, _ctx: &mut Context, code: CloseCode) -> Result {
        self.log.push(format!("disconnect {}", code.as_u16()));
        Ok(())
    }
}
