//! The life of one consumer: the same code whichever driver runs it.

use std::any::type_name;
use std::future::Future;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{self, Poll, Waker};

use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};

use super::WebsocketConsumer;
use super::context::{Context, State};
use super::parked::ParkedWaker;
use crate::close::{CloseCode, CloseFrame};
use crate::conversation::{ConnectionClosed, Deny, Inbound, Outbound, WebsocketIo};
use crate::error::{Error, Result};
use crate::event::{Event, EventError};
use crate::layer::{ChannelLayer, LayerError};
use crate::scope::Scope;
use crate::support::{catch_panic, expect_connect};

const INTERNAL: http::StatusCode = http::StatusCode::INTERNAL_SERVER_ERROR;

/// Runs `consumer` over `io` from the handshake to the end of the connection.
///
/// The opening and the ending are boxed: each runs once, and inlined they
/// would make the future that every idle connection holds several times
/// larger.
async fn run<C: WebsocketConsumer>(mut consumer: C, scope: Scope, io: Box<dyn WebsocketIo>) {
    let Some(mut ctx) = Box::pin(open(&mut consumer, scope, io)).await else {
        return;
    };
    if ctx.state() == State::Open {
        let (layer, channel) = ctx.layer_and_channel_arcs();
        converse(
            &mut consumer,
            &mut ctx,
            layer.as_deref(),
            channel.as_deref(),
        )
        .await;
    }
    Box::pin(finish(&mut consumer, &mut ctx)).await;
}

/// Makes the connection's channel, joins its groups and runs `connect`.
/// Returns `None` when there is no connection to go on with.
async fn open<C: WebsocketConsumer>(
    consumer: &mut C,
    scope: Scope,
    mut io: Box<dyn WebsocketIo>,
) -> Option<Context> {
    if !expect_connect(&mut *io).await {
        return None;
    }

    let layer = scope.channel_layer().cloned();
    let channel = match &layer {
        Some(layer) => match layer.new_channel("specific").await {
            Ok(name) => Some(Arc::<str>::from(name)),
            Err(err) => {
                tracing::error!(error = %err, "channel layer could not make a channel; refusing");
                let _ = io.send(Outbound::Deny(Deny::new(INTERNAL))).await;
                return None;
            }
        },
        None => None,
    };
    if let Some(name) = &channel {
        tracing::Span::current().record("channel", &**name);
    }
    // The consumer's own groups, then those middleware asked for (the
    // user's own group, for one).
    // With no layer there are no groups to join: middleware adds its own
    // whatever the application, and a layer-less one must still connect.
    let mut groups = consumer.groups(&scope);
    if layer.is_some() {
        groups.extend(scope.groups().iter().cloned());
    }
    let mut ctx = Context::new(scope, io, layer, channel);

    // Channels joins `groups` before `connect`, so events sent while the
    // handshake runs are not missed.
    for group in groups {
        if let Err(err) = ctx.group_add(&group).await {
            if matches!(err, LayerError::Unavailable(_)) {
                tracing::debug!(error = %err, group, "could not join group; refusing with 503");
                ctx.fail_unavailable().await;
            } else {
                tracing::error!(error = %err, group, "could not join group; refusing with 500");
                ctx.fail().await;
            }
            return Some(ctx);
        }
    }
    let connected = settle(guard(consumer.connect(&mut ctx)).await, "connect", &mut ctx).await;
    if connected && ctx.state() == State::Connecting {
        tracing::warn!("connect returned without accepting or denying; refusing with 403");
        let _ = ctx.deny().await;
    }
    Some(ctx)
}

/// Waits for the end of the connection, runs `disconnect` and leaves the
/// connection's groups and channel.
async fn finish<C: WebsocketConsumer>(consumer: &mut C, ctx: &mut Context) {
    let code = loop {
        // After our close or refusal the driver finishes the handshake; any
        // message the client sent meanwhile is dropped, as RFC 6455 allows.
        if let Inbound::Disconnect(code) = ctx.recv().await {
            break code;
        }
    };
    let outcome = guard(consumer.disconnect(ctx, code)).await;
    settle(outcome, "disconnect", ctx).await;
    leave(ctx).await;
}

/// Hands client messages and layer events to the consumer, one at a time,
/// until the connection closes.
async fn converse<C: WebsocketConsumer>(
    consumer: &mut C,
    ctx: &mut Context,
    layer: Option<&dyn ChannelLayer>,
    channel: Option<&str>,
) {
    // One stream of layer events for the connection's life: an event
    // costs the layer no lookup, and a client message no new wait.
    let mut events = layer.zip(channel).map(|(l, c)| l.receiver(c));
    // The stream is polled with a waker of its own, which wakes the task
    // only while this loop waits (see `ParkedWaker`).
    let (parked, events_waker) = ParkedWaker::new();
    // Client messages and layer events take turns at going first, so a
    // client that never pauses cannot starve the layer, nor the reverse.
    let mut client_first = true;
    loop {
        client_first = !client_first;
        let step = poll_fn(|cx| {
            parked.park(cx.waker());
            let step = next_step(ctx, events.as_mut(), &events_waker, cx, client_first);
            if step.is_ready() {
                parked.unpark();
            }
            step
        })
        .await;
        match step {
            Step::Inbound(Inbound::Disconnect(_)) => break,
            Step::Inbound(Inbound::Connect) => continue,
            Step::Event(_) | Step::Inbound(Inbound::Receive(_)) => {}
        }
        let told = matches!(step, Step::Event(Err(LayerError::Overflowed { .. })));
        // Boxed: the idle connection's future need not carry a hook's.
        if !Box::pin(dispatch(consumer, ctx, step)).await {
            if told {
                // Closed for its misses, and logged: what the channel
                // took while the close went out changes nothing.
                return;
            }
            break;
        }
    }
    if let Some(events) = &mut events {
        report_missed(events);
    }
}

/// Logs what the connection missed, if its channel overflowed while it was
/// ending some other way: most often a client that stopped reading, whose
/// consumer waited on a send until the write timeout dropped it, with the
/// report of its misses still queued behind that send.
fn report_missed(events: &mut BoxStream<'_, Result<Event, LayerError>>) {
    // The report comes before any message, so one look finds it; whatever
    // else this takes was never going to be handed to the consumer.
    if let Some(Some(Err(LayerError::Overflowed { channel, missed }))) =
        events.next().now_or_never()
    {
        fell_behind(&channel, missed, false);
    }
}

/// The next client message or layer event, whichever `client_first`
/// says to look at first.
fn next_step(
    ctx: &mut Context,
    events: Option<&mut BoxStream<'_, Result<Event, LayerError>>>,
    events_waker: &Waker,
    cx: &mut task::Context<'_>,
    client_first: bool,
) -> Poll<Step> {
    if client_first && let Poll::Ready(inbound) = ctx.poll_recv(cx) {
        return Poll::Ready(Step::Inbound(inbound));
    }
    if let Some(events) = events
        && let Poll::Ready(event) =
            events.poll_next_unpin(&mut task::Context::from_waker(events_waker))
    {
        let ended = || LayerError::Backend("the channel layer stopped delivering".into());
        return Poll::Ready(Step::Event(event.unwrap_or_else(|| Err(ended()))));
    }
    if client_first {
        Poll::Pending
    } else {
        ctx.poll_recv(cx).map(Step::Inbound)
    }
}

/// Hands one message or event to the consumer; returns whether the
/// connection stays open.
async fn dispatch<C: WebsocketConsumer>(consumer: &mut C, ctx: &mut Context, step: Step) -> bool {
    let (outcome, hook) = match step {
        Step::Inbound(Inbound::Receive(message)) => {
            (guard(consumer.receive(ctx, message)).await, "receive")
        }
        Step::Inbound(_) => return true,
        Step::Event(Ok(event)) => (guard(deliver(consumer, ctx, event)).await, "event"),
        Step::Event(Err(LayerError::Overflowed { channel, missed })) => {
            fell_behind(&channel, missed, true);
            let reason = format!("missed {missed} messages: the connection fell behind");
            let frame = CloseFrame::new(CloseCode::MISSED_MESSAGES).with_reason(reason);
            // A failed close means the client is gone already.
            let _ = ctx.close_with(frame).await;
            return false;
        }
        Step::Event(Err(err)) => {
            tracing::error!(error = %err, "channel layer receive failed; closing");
            ctx.fail().await;
            return false;
        }
    };
    settle(outcome, hook, ctx).await && ctx.state() == State::Open
}

/// Logs that the connection missed `missed` layer messages: once per
/// connection, at WARN, whether it is being closed with 4013 for it or
/// was ending anyway.
///
/// The line carries the channel name itself, besides the connection's
/// span (path, client, channel): with a filter such as `RUST_LOG=warn`
/// the INFO span is not recorded, and the line would name no connection.
#[cold]
fn fell_behind(channel: &str, missed: u64, closing: bool) {
    if closing {
        tracing::warn!(
            channel,
            missed,
            "connection fell behind and missed messages; closing with 4013"
        );
    } else {
        tracing::warn!(
            channel,
            missed,
            "connection ended after falling behind; it missed messages"
        );
    }
}

/// Decodes a layer event into the consumer's `Event` type and runs its
/// `event` hook; closes with 1011 and logs why if it does not decode.
///
/// Decoding runs inside the guarded hook, so a panic in a custom
/// `Deserialize` is caught like any other hook's.
async fn deliver<C: WebsocketConsumer>(
    consumer: &mut C,
    ctx: &mut Context,
    event: Event,
) -> Result {
    match event.decode::<C::Event>() {
        Ok(event) => consumer.event(ctx, event).await,
        Err(err) => {
            // Channels raises here, which its servers turn into 1011.
            undeliverable::<C>(&event, &err);
            ctx.close(CloseCode::INTERNAL_ERROR).await
        }
    }
}

/// Logs an event that did not decode into the consumer's `Event` type.
#[cold]
fn undeliverable<C: WebsocketConsumer>(event: &Event, err: &EventError) {
    let consumer = type_name::<C>();
    let event_type = event.event_type();
    if let EventError::UnknownType { .. } = err {
        tracing::error!(
            consumer,
            event_type,
            error = %err,
            "event of a type this consumer has no handler for; closing with 1011"
        );
    } else {
        tracing::error!(
            consumer,
            event_type,
            into = type_name::<C::Event>(),
            error = %err,
            "event does not fit this consumer's Event type; closing with 1011"
        );
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
    match catch_panic(|| hook).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(Failure::Error(err)),
        Err(message) => Err(Failure::Panic(message)),
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
        // The layer logs its outage once; each connection it ends need not.
        Err(Failure::Error(err))
            if matches!(err.downcast_ref(), Some(LayerError::Unavailable(_))) =>
        {
            tracing::debug!(hook, error = %err, "channel layer unavailable; try again later");
            Box::pin(ctx.fail_unavailable()).await;
            return false;
        }
        Err(Failure::Error(err)) => tracing::error!(hook, error = %err, "consumer hook failed"),
        Err(Failure::Panic(message)) => {
            tracing::error!(hook, panic = %message, "consumer hook panicked")
        }
    }
    // Boxed: failing is rare, and inlined it would triple the size of the
    // future every idle connection holds.
    Box::pin(ctx.fail()).await;
    false
}

/// Leaves every group the connection joined and frees its channel.
async fn leave(ctx: &mut Context) {
    let (Some(layer), Some(channel)) = ctx.layer_and_channel_arcs() else {
        return;
    };
    for group in ctx.joined_groups() {
        match layer.group_discard(&group, &channel).await {
            Ok(()) => {}
            // The layer has logged its outage; the membership expires.
            Err(err @ LayerError::Unavailable(_)) => {
                tracing::debug!(error = %err, group, "could not leave group");
            }
            Err(err) => tracing::warn!(error = %err, group, "could not leave group"),
        }
    }
    if let Err(err) = layer.close_channel(&channel).await {
        tracing::warn!(error = %err, "could not close channel");
    }
}

/// Makes a consumer factory an application: `ChatConsumer::default` routes.
impl<F, C> crate::app::WebsocketApp for F
where
    F: Fn() -> C + Send + Sync + 'static,
    C: WebsocketConsumer,
{
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> crate::app::AppFuture<'_> {
        Box::pin(run(self(), scope, io))
    }
}
