//! The server's shutdown signal, cheap enough to check on every wake-up.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Fires once, when the server starts shutting down.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    /// Set just before `token` is cancelled; read without a lock.
    started: Arc<AtomicBool>,
}

impl Shutdown {
    /// Tells every connection to finish.
    pub(crate) fn start(&self) {
        self.started.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Waits for the shutdown.
    pub(crate) async fn wait(&self) {
        self.token.cancelled().await;
    }

    /// What one open WebSocket polls on each wake-up.
    pub(crate) fn watch(&self) -> ShutdownWatch {
        ShutdownWatch {
            started: self.started.clone(),
            wait: Box::pin(self.token.clone().cancelled_owned()),
            registered: None,
        }
    }
}

/// One connection's wait for the shutdown.
///
/// Polling a cancellation token takes two locks that every connection
/// shares. A connection is woken for each message it gets, so this polls
/// the token only to register the task's waker, again if that waker
/// changes, and once the shutdown has started; otherwise it answers from
/// one atomic load.
pub(crate) struct ShutdownWatch {
    started: Arc<AtomicBool>,
    wait: Pin<Box<WaitForCancellationFutureOwned>>,
    registered: Option<Waker>,
}

impl ShutdownWatch {
    /// Ready once the server is shutting down.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let registered = self
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if registered && !self.started.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        let poll = self.wait.as_mut().poll(cx);
        if !registered {
            self.registered = Some(cx.waker().clone());
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_watch_polled_before_the_shutdown_is_woken_by_it() {
        let shutdown = Shutdown::default();
        let mut watch = shutdown.watch();
        let waiting = tokio::spawn(async move { poll_fn(|cx| watch.poll(cx)).await });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        shutdown.start();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the watch was never woken")
            .unwrap();
    }

    /// Regression: this test once awaited the watch with no assertion and
    /// no timeout, so a watch that never fired hung the suite.
    #[test]
    fn a_watch_made_after_the_shutdown_is_ready_at_once() {
        let shutdown = Shutdown::default();
        shutdown.start();
        let mut watch = shutdown.watch();
        let mut cx = Context::from_waker(Waker::noop());
        // Ready on the first poll: no waiting, so no timeout is needed.
        assert_eq!(watch.poll(&mut cx), Poll::Ready(()));
        // And on every poll after it, with the waker now registered.
        assert_eq!(watch.poll(&mut cx), Poll::Ready(()));
    }
}
