//! The stream a consumer's run loop listens on for its channel's events.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;

use super::{Inner, Pop, Queue, overflowed};
use crate::event::Event;
use crate::layer::LayerError;

/// The events of one channel, for its one reader.
///
/// It holds the channel's queue, so an event costs no lookup by name, and
/// it waits on the queue's [`AtomicWaker`](futures_util::task::AtomicWaker)
/// rather than its `Notify`: the run loop polls it on every wake-up of the
/// connection, client messages included, and registering an atomic waker
/// takes no lock.
pub(super) struct QueueReceiver<'a> {
    pub(super) inner: &'a Inner,
    pub(super) channel: &'a str,
    pub(super) queue: Arc<Queue>,
}

impl Stream for QueueReceiver<'_> {
    type Item = Result<Event, LayerError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Register before looking, so a push between the look and the
            // wait still wakes this reader.
            this.queue.reader.register(cx.waker());
            match this.inner.pop(&this.queue, this.channel) {
                Pop::Event(event) => return Poll::Ready(Some(Ok(event))),
                Pop::Missed(missed) => {
                    return Poll::Ready(Some(Err(overflowed(this.channel, missed))));
                }
                Pop::Empty => return Poll::Pending,
                // `flush` or `close_channel` took the queue out of the
                // layer: listen on the channel's new one.
                Pop::Retired => this.queue = this.inner.queue(this.channel),
            }
        }
    }
}
