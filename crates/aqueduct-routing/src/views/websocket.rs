//! The WebSocket a view reads and writes: dwebsocket's `request.websocket`.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use aqueduct_core::{
    CloseCode, CloseFrame, ConnectionClosed, Inbound, Message, Outbound, WebsocketIo,
};
use futures_util::Stream;
use tokio::sync::{Mutex, oneshot};

use super::sync_cell::SyncCell;

/// The conversation, shared between the handle (while the view runs) and
/// the runner (to close it afterwards). Never contended: the runner only
/// locks it once the handle is gone.
pub(crate) type SharedIo = Arc<Mutex<Box<dyn WebsocketIo>>>;

/// A receive in progress. It owns a lock on the conversation, so it can
/// outlive one call to [`WebSocket::read`] and be resumed by the next.
type Receiving = Pin<Box<dyn Future<Output = Inbound> + Send>>;

/// How many messages a view's WebSocket holds that the view has not read
/// yet, unless [`View::max_buffered_messages`](super::View::max_buffered_messages)
/// says otherwise.
pub const DEFAULT_MAX_BUFFERED_MESSAGES: usize = 16;

/// An accepted WebSocket connection, as a view sees it: dwebsocket's
/// `request.websocket`.
///
/// [`wait`](Self::wait) waits for the next message, and returns `None`
/// once the client has closed the connection (or the server is shutting
/// down). [`read`](Self::read) takes a message only if one has arrived.
/// [`send`](Self::send) sends one. It is also a [`Stream`] of messages,
/// so `while let Some(message) = ws.next().await` works with
/// `futures::StreamExt`.
///
/// **Buffering and backpressure.** [`count_messages`](Self::count_messages)
/// and [`has_messages`](Self::has_messages) look ahead: they take every
/// message that has arrived from the socket into a buffer, where `wait`
/// and `read` find them later, in order. The buffer holds at most
/// [`View::max_buffered_messages`](super::View::max_buffered_messages)
/// messages (16 by default). When it is full, nothing more is read from
/// the socket until the view reads: the client's own sends then slow down
/// (TCP backpressure), and no message is ever dropped. At most that many
/// messages, each at most the server's maximum message size, are held per
/// connection. Nothing is read from the socket while the view does not
/// ask, so a view that stops reading also stops answering pings; read
/// often.
///
/// ```
/// use aqueduct_routing::views::{ViewRequest, require_websocket};
///
/// // Echoes every message, and says how many more were already queued.
/// async fn echo(mut request: ViewRequest) -> aqueduct_core::Result {
///     let ws = request.websocket().expect("require_websocket");
///     while let Some(message) = ws.wait().await {
///         let queued = ws.count_messages();
///         ws.send(message).await?;
///         ws.send(format!("{queued} more waiting")).await?;
///     }
///     Ok(())
/// }
///
/// let view = require_websocket(echo);
/// # let _ = view;
/// ```
pub struct WebSocket {
    io: SharedIo,
    receiving: SyncCell<Option<Receiving>>,
    buffer: VecDeque<Message>,
    capacity: usize,
    /// Set once the conversation is over: the client's close code, or ours.
    ended: Option<CloseCode>,
    /// Tells the runner how the connection stood when the handle went away.
    done: Option<oneshot::Sender<Option<CloseCode>>>,
}

impl WebSocket {
    /// Wraps an accepted conversation. The receiver learns, once the handle
    /// is dropped, whether the connection is still open (`None`).
    pub(crate) fn new(
        io: SharedIo,
        capacity: usize,
    ) -> (Self, oneshot::Receiver<Option<CloseCode>>) {
        let (done, finished) = oneshot::channel();
        let ws = Self {
            io,
            receiving: SyncCell::new(None),
            buffer: VecDeque::new(),
            capacity,
            ended: None,
            done: Some(done),
        };
        (ws, finished)
    }

    /// Waits for the next message; `None` once the client has closed the
    /// connection, the server is shutting down, or the view closed it.
    ///
    /// Messages already buffered by [`count_messages`](Self::count_messages)
    /// come first, in the order they arrived. Cancel-safe: a `wait` dropped
    /// in a `select!` loses no message.
    pub async fn wait(&mut self) -> Option<Message> {
        poll_fn(|cx| self.poll_message(cx)).await
    }

    /// Takes the next message if one has arrived, without waiting; `None`
    /// when nothing is waiting (or the connection is over: see
    /// [`is_closed`](Self::is_closed)).
    pub fn read(&mut self) -> Option<Message> {
        if let Some(message) = self.buffer.pop_front() {
            return Some(message);
        }
        match self.poll_inbound(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(message) => message,
            Poll::Pending => None,
        }
    }

    /// How many messages have arrived that the view has not read yet.
    ///
    /// Reads what the socket has into the buffer first, up to its bound,
    /// so the count never exceeds
    /// [`View::max_buffered_messages`](super::View::max_buffered_messages).
    pub fn count_messages(&mut self) -> usize {
        self.fill();
        self.buffer.len()
    }

    /// Whether a message is waiting, so [`read`](Self::read) would return one.
    pub fn has_messages(&mut self) -> bool {
        if self.buffer.is_empty() {
            self.fill();
        }
        !self.buffer.is_empty()
    }

    /// The most messages this handle buffers before it stops reading the socket.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Sends a text or binary message: a `String`, a `&str`, a `Vec<u8>`,
    /// `Bytes` or a [`Message`].
    ///
    /// Fails once the connection is over; a view can pass the error on
    /// with `?`, which ends it quietly (the client is gone, that is not the
    /// view's fault).
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), ConnectionClosed> {
        self.act(Outbound::Send(message.into())).await
    }

    /// Closes the connection with `code` (1000 is a normal closure; use
    /// `4000..=4999` for the application's own reasons).
    ///
    /// Messages not yet read are dropped, and [`wait`](Self::wait) returns
    /// `None` from now on. Returning from the view closes with 1000 anyway;
    /// this is for another code, or for closing before the view is done.
    pub async fn close(&mut self, code: CloseCode) -> Result<(), ConnectionClosed> {
        self.close_with(CloseFrame::new(code)).await
    }

    /// Closes the connection with a code and a reason, as [`close`](Self::close).
    pub async fn close_with(&mut self, frame: CloseFrame) -> Result<(), ConnectionClosed> {
        let code = frame.code;
        let sent = self.act(Outbound::Close(frame)).await;
        self.buffer.clear();
        // Keep the client's code if it closed first.
        self.ended.get_or_insert(code);
        sent
    }

    /// Whether the connection is over: the client closed it or left, the
    /// server is shutting down, or the view closed it.
    ///
    /// Known only once a read has met the end, so it can turn true after
    /// [`read`](Self::read) or [`wait`](Self::wait) has returned `None`.
    pub fn is_closed(&self) -> bool {
        self.ended.is_some()
    }

    /// The close code the connection ended with, once it has: the
    /// client's (1005 if it gave none), 1006 if it vanished, 1001 on
    /// server shutdown, or the view's own.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.ended
    }

    /// Carries out one action, after giving up any receive in progress
    /// (`WebsocketIo::recv` is cancel-safe, so no message is lost).
    async fn act(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        if self.ended.is_some() {
            return Err(ConnectionClosed);
        }
        *self.receiving.get_mut() = None;
        self.io.lock().await.send(action).await
    }

    /// Reads every message the socket has ready, until the buffer is full.
    fn fill(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.buffer.len() < self.capacity {
            match self.poll_inbound(&mut cx) {
                Poll::Ready(Some(message)) => self.buffer.push_back(message),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        match self.buffer.pop_front() {
            Some(message) => Poll::Ready(Some(message)),
            None => self.poll_inbound(cx),
        }
    }

    /// Polls the conversation for the next message, past the buffer.
    fn poll_inbound(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        loop {
            if self.ended.is_some() {
                return Poll::Ready(None);
            }
            let receiving = self.receiving.get_mut().get_or_insert_with(|| {
                let io = self.io.clone();
                Box::pin(async move { io.lock_owned().await.recv().await })
            });
            let inbound = ready!(receiving.as_mut().poll(cx));
            *self.receiving.get_mut() = None;
            match inbound {
                Inbound::Receive(message) => return Poll::Ready(Some(message)),
                Inbound::Disconnect(code) => self.ended = Some(code),
                // Only a confused driver repeats `Connect`; nothing to hand on.
                Inbound::Connect => {}
            }
        }
    }
}

impl Stream for WebSocket {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.get_mut().poll_message(cx)
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        // The receive in progress holds the conversation's lock: let it go
        // before the runner takes the conversation back.
        *self.receiving.get_mut() = None;
        if let Some(done) = self.done.take() {
            // The runner may be gone already (its task was cancelled).
            let _ = done.send(self.ended);
        }
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("buffered", &self.buffer.len())
            .field("capacity", &self.capacity)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
