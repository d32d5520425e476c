//! The life of a connection: connect, send, disconnect.

use std::time::Duration;

use aqueduct_core::{CloseCode, Inbound, Message};
use http::StatusCode;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout, timeout_at};

use super::communicator::{Connection, State, WebsocketCommunicator};
use super::io::TestIo;
use super::outcome::Connected;
use super::task::spawn_app;

impl WebsocketCommunicator {
    /// Starts the application and waits for it to accept or refuse the
    /// handshake (Channels' `connect`).
    ///
    /// # Panics
    ///
    /// Panics when called twice, or when the application neither accepts
    /// nor refuses within the timeout.
    pub async fn connect(&mut self) -> Connected {
        self.connect_timeout(self.timeout).await
    }

    /// [`connect`](Self::connect), waiting at most `timeout`.
    ///
    /// # Panics
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_timeout(&mut self, timeout: Duration) -> Connected {
        assert!(
            self.connection.is_none(),
            "connect was already called: make a new WebsocketCommunicator for each connection"
        );
        let (to_app, inbound) = mpsc::channel(self.capacity);
        let (outbound, from_app) = mpsc::channel(self.capacity);
        let (answer, answered) = oneshot::channel();
        let (abandon, abandoned) = oneshot::channel();
        let io = TestIo::new(inbound, outbound, answer);
        let task = spawn_app(self.app.clone(), self.scope(), io, abandoned, self.timeout);
        let connection = self.connection.insert(Connection {
            to_app,
            from_app,
            task: Some(task),
            _abandon: abandon,
            pending: None,
            state: State::Open,
        });
        let connected = match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(connected)) => connected,
            // As the server does when the application ends (or panics)
            // without answering.
            Ok(Err(_)) => Connected::Rejected {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                headers: http::HeaderMap::new(),
                body: "Internal Server Error".to_owned(),
            },
            Err(_) => panic!(
                "connect timed out after {timeout:?}: the application neither accepted nor \
                 refused the handshake. Does its connect hook call ctx.accept()? If it is \
                 slow on purpose, use connect_timeout"
            ),
        };
        if let Connected::Rejected { status, .. } = &connected {
            connection.state = State::Rejected(*status);
        }
        connected
    }

    /// Sends a text or binary message to the application (Channels' `send_to`).
    ///
    /// `&str` and `String` make text messages; `Vec<u8>` and `Bytes` make
    /// binary ones. A message sent after the application closed is
    /// dropped, as on a socket.
    ///
    /// # Panics
    ///
    /// Panics before an accepted [`connect`](Self::connect), after
    /// [`disconnect`](Self::disconnect), or when the application's inbound
    /// queue stays full for the whole timeout.
    pub async fn send_to(&mut self, message: impl Into<Message>) {
        let (wait, capacity) = (self.timeout, self.capacity);
        let connection = self.live("send_to");
        let sent = timeout(
            wait,
            connection.to_app.send(Inbound::Receive(message.into())),
        )
        .await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(_)) => tracing::debug!("the application has ended; message dropped"),
            Err(_) => panic!(
                "send_to timed out after {wait:?}: the application's inbound queue (capacity \
                 {capacity}) stayed full. Is it blocked sending output this test has not \
                 received? Receive it first, or raise WebsocketCommunicator::capacity"
            ),
        }
    }

    /// Sends `value` as JSON in a text message (Channels' `send_json_to`).
    ///
    /// # Panics
    ///
    /// As [`send_to`](Self::send_to), and when `value` does not serialize.
    pub async fn send_json_to<T: Serialize + ?Sized>(&mut self, value: &T) {
        let text = serde_json::to_string(value)
            .unwrap_or_else(|err| panic!("send_json_to: the value does not serialize: {err}"));
        self.send_to(text).await;
    }

    /// Closes the connection from the client's side with `code`, and waits
    /// for the application to finish: when this returns, its disconnect
    /// hook has run (Channels' `disconnect`).
    ///
    /// After the application closed or refused the connection itself, the
    /// code is not delivered (the conversation already ended with the
    /// application's code) and this only waits. Calling it again, or
    /// before [`connect`](Self::connect), does nothing.
    ///
    /// # Panics
    ///
    /// Panics when the application does not finish within the timeout,
    /// and re-raises a panic that ended its task (a consumer's panics are
    /// caught before that, and become 500 or 1011).
    pub async fn disconnect(&mut self, code: impl Into<CloseCode>) {
        let code = code.into();
        let wait = self.timeout;
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        connection.state = State::Disconnected;
        let Some(task) = connection.task.as_mut() else {
            return;
        };
        let deadline = Instant::now() + wait;
        // An application that stopped reading (it closed, or refused) never
        // takes this; the send then fails or times out, and we wait anyway.
        let _ = timeout_at(deadline, connection.to_app.send(Inbound::Disconnect(code))).await;
        match timeout_at(deadline, task).await {
            Ok(Ok(())) => connection.task = None,
            Ok(Err(err)) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Ok(Err(_)) => connection.task = None,
            Err(_) => panic!(
                "disconnect timed out after {wait:?}: the application did not finish after the \
                 client left. Is its disconnect hook waiting for something?"
            ),
        }
    }

    /// The connection, for `method`; fails the test unless it is running.
    #[track_caller]
    pub(super) fn live(&mut self, method: &str) -> &mut Connection {
        let Some(connection) = self.connection.as_mut() else {
            panic!("{method} called before connect(): connect first, and check it was accepted")
        };
        match &connection.state {
            State::Rejected(status) => panic!(
                "{method}: the handshake was rejected with {status}, so nothing flows; \
                 check the result of connect()"
            ),
            State::Disconnected => {
                panic!("{method} called after disconnect(): the connection is over")
            }
            State::Open | State::Closed(_) => connection,
        }
    }
}
