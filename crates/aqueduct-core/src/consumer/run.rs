//! The life of one consumer: the same code whichever driver runs it.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures_util::FutureExt;
use tracing::Instrument;

use super::WebsocketConsumer;
use super::context::{Context, State};
use crate::conversation::{ConnectionClosed, Deny, Inbound, Outbound, WebsocketIo};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::layer::{ChannelLayer, LayerError};
use crate::scope::Scope;

type Receiving<'a> = Pin<Box<dyn Future<Output = Result<Event, LayerError>> + Send + 'a>>;

/// Runs `consumer` over `io` from the handshake to the end of the connection.
async fn run<C: WebsocketConsumer>(mut consumer: C, scope: Scope, mut io: Box<dyn WebsocketIo>) {
    match io.recv().await {
        Inbound::Connect => {}
        // The client left before the application started: nothing to run.
        Inbound::Disconnect(_) => return,
        Inbound::Receive(_) => {
            tracing::error!("driver sent a message before the handshake; refusing");
            let _ = io
                .send(Outbound::Deny(Deny::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                )))
                .await;
            return;
        }
    }

    let layer = scope.channel_layer().cloned();
    let channel = match &layer {
        Some(layer) => match layer.new_channel("specific").await {
            Ok(name) => Some(name),
            Err(err) => {
                tracing::error!(error = %err, "channel layer could not make a channel; refusing");
                let _ = io
                    .send(Outbound::Deny(Deny::new(
                        http::StatusCode::INTERNAL_SERVER_ERROR,
                    )))
                    .await;
                return;
            }
        },
        None => None,
    };
    if let Some(name) = &channel {
        tracing::Span::current().record("channel", name.as_str());
    }
    let groups = consumer.groups(&scope);
    let mut ctx = Context::new(scope, io, layer.clone(), channel.clone());

    // Channels joins `groups` before `connect`, so events sent while the
    // handshake runs are not missed.
    let mut ok = true;
    for group in groups {
        if let Err(err) = ctx.group_add(&group).await {
            tracing::error!(error = %err, group, "could not join group; refusing with 500");
            ctx.fail().await;
            ok = false;
            break;
        }
    }
    if ok {
        ok = settle(guard(consumer.connect(&mut ctx)).await, "connect", &mut ctx).await;
    }
    if ok && ctx.state() == State::Connecting {
        tracing::warn!("connect returned without accepting or denying; refusing with 403");
        let _ = ctx.deny().await;
    }

    if ctx.state() == State::Open {
        converse(
            &mut consumer,
            &mut ctx,
            layer.as_deref(),
            channel.as_deref(),
        )
        .await;
    }

    let code = loop {
        // After our close or refusal the driver finishes the handshake; any
        // message the client sent meanwhile is dropped, as RFC 6455 allows.
        if let Inbound::Disconnect(code) = ctx.recv().await {
            break code;
        }
    };
    settle(
        guard(consumer.disconnect(&mut ctx, code)).await,
        "disconnect",
        &mut ctx,
    )
    .await;
    leave(&mut ctx, layer.as_deref(), channel.as_deref()).await;
}

/// Hands client messages and layer events to the consumer, one at a time,
/// until the connection closes.
async fn converse<C: WebsocketConsumer>(
    consumer: &mut C,
    ctx: &mut Context,
    layer: Option<&dyn ChannelLayer>,
    channel: Option<&str>,
) {
    // The layer's receive future lives across loop turns, so a client
    // message arriving never costs a new wait on the layer.
    let mut receiving: Option<Receiving<'_>> = layer.zip(channel).map(|(l, c)| l.receive(c));
    loop {
        let step = match receiving.as_mut() {
            Some(events) => tokio::select! {
                inbound = ctx.recv() => Step::Inbound(inbound),
                event = events => Step::Event(event),
            },
            None => Step::Inbound(ctx.recv().await),
        };
        let (outcome, hook) = match step {
            Step::Inbound(Inbound::Receive(message)) => {
                (guard(consumer.receive(ctx, message)).await, "receive")
            }
            Step::Inbound(Inbound::Disconnect(_)) => return,
            Step::Inbound(Inbound::Connect) => continue,
            Step::Event(event) => {
                receiving = layer.zip(channel).map(|(l, c)| l.receive(c));
                match event {
                    Ok(event) => (guard(consumer.event(ctx, event)).await, "event"),
                    Err(err) => {
                        tracing::error!(error = %err, "channel layer receive failed; closing");
                        ctx.fail().await;
                        return;
                    }
                }
            }
        };
        if !settle(outcome, hook, ctx).await || ctx.state() != State::Open {
            return;
        }
    }
}

enum Step {
    Inbound(Inbound),
    Event(Result<Event, LayerError>),
}

/// Why a hook did not finish normally.
enum Failure {
    Error(Error),
    Panic(String),
}

/// Runs a hook, turning a panic into a value so one consumer cannot take
/// the server down.
async fn guard<F: Future<Output = Result>>(hook: F) -> std::result::Result<(), Failure> {
    match AssertUnwindSafe(hook.in_current_span())
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(Failure::Error(err)),
        Err(panic) => Err(Failure::Panic(panic_message(&*panic))),
    }
}

/// Logs a hook's failure and fails the connection. Returns whether the hook succeeded.
async fn settle(outcome: std::result::Result<(), Failure>, hook: &str, ctx: &mut Context) -> bool {
    match outcome {
        Ok(()) => return true,
        // The client left while the hook was sending: not the consumer's fault.
        Err(Failure::Error(err)) if err.downcast_ref::<ConnectionClosed>().is_some() => {
            tracing::debug!(hook, "client went away during the hook");
        }
        Err(Failure::Error(err)) => tracing::error!(hook, error = %err, "consumer hook failed"),
        Err(Failure::Panic(message)) => {
            tracing::error!(hook, panic = %message, "consumer hook panicked")
        }
    }
    ctx.fail().await;
    false
}

/// Leaves every group the connection joined and frees its channel.
async fn leave(ctx: &mut Context, layer: Option<&dyn ChannelLayer>, channel: Option<&str>) {
    let (Some(layer), Some(channel)) = (layer, channel) else {
        return;
    };
    for group in ctx.joined_groups() {
        if let Err(err) = layer.group_discard(&group, channel).await {
            tracing::warn!(error = %err, group, "could not leave group");
        }
    }
    if let Err(err) = layer.close_channel(channel).await {
        tracing::warn!(error = %err, "could not close channel");
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

/// Makes a consumer factory an application: `ChatConsumer::default` routes.
#[async_trait::async_trait]
impl<F, C> crate::app::WebsocketApp for F
where
    F: Fn() -> C + Send + Sync + 'static,
    C: WebsocketConsumer,
{
    async fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) {
        run(self(), scope, io).await;
    }
}
