//! What the test receives from the application.
//!
//! Each kind of receive comes three ways: `receive_x()` waits the
//! communicator's timeout and fails the test on a surprise,
//! `receive_x_timeout(d)` waits `d`, and `try_receive_x(d)` returns a
//! [`ReceiveError`] instead of failing.

use std::time::Duration;

use aqueduct_core::{CloseCode, CloseFrame, Message};
use serde::de::DeserializeOwned;

use super::communicator::{State, WebsocketCommunicator};
use super::outcome::Output;
use crate::error::ReceiveError;

impl WebsocketCommunicator {
    /// Waits for the next message or the close (Channels' `receive_output`).
    ///
    /// Once the application has closed, every later call returns that close again.
    ///
    /// # Panics
    ///
    /// Panics when nothing arrives within the timeout, and before an accepted
    /// [`connect`](Self::connect).
    pub async fn receive_output(&mut self) -> Output {
        self.receive_output_timeout(self.timeout).await
    }

    /// [`receive_output`](Self::receive_output), waiting at most `timeout`.
    pub async fn receive_output_timeout(&mut self, timeout: Duration) -> Output {
        expect(self.next("receive_output", timeout).await)
    }

    /// [`receive_output`](Self::receive_output), returning an error on timeout.
    pub async fn try_receive_output(&mut self, timeout: Duration) -> Result<Output, ReceiveError> {
        self.next("receive_output", timeout).await
    }

    /// Waits for the next text or binary message (Channels' `receive_from`).
    ///
    /// # Panics
    ///
    /// Panics, naming the wait and its length, when nothing arrives within
    /// the timeout; panics with the close code when the application closed
    /// instead.
    pub async fn receive_from(&mut self) -> Message {
        self.receive_from_timeout(self.timeout).await
    }

    /// [`receive_from`](Self::receive_from), waiting at most `timeout`.
    pub async fn receive_from_timeout(&mut self, timeout: Duration) -> Message {
        expect(self.try_receive_from(timeout).await)
    }

    /// [`receive_from`](Self::receive_from), returning an error instead of panicking.
    pub async fn try_receive_from(&mut self, timeout: Duration) -> Result<Message, ReceiveError> {
        match self.next("receive_from", timeout).await? {
            Output::Message(message) => Ok(message),
            Output::Close(frame) => Err(ReceiveError::Closed(frame)),
        }
    }

    /// Waits for the next message and decodes its text as JSON
    /// (Channels' `receive_json_from`).
    ///
    /// ```no_run
    /// # async fn f(communicator: &mut aqueduct_test::WebsocketCommunicator) {
    /// let reply: serde_json::Value = communicator.receive_json_from().await;
    /// assert_eq!(reply, serde_json::json!({"message": "hi"}));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`receive_from`](Self::receive_from), and when the message is
    /// binary or its text is not JSON of type `T`.
    pub async fn receive_json_from<T: DeserializeOwned>(&mut self) -> T {
        self.receive_json_from_timeout(self.timeout).await
    }

    /// [`receive_json_from`](Self::receive_json_from), waiting at most `timeout`.
    pub async fn receive_json_from_timeout<T: DeserializeOwned>(&mut self, timeout: Duration) -> T {
        expect(self.try_receive_json_from(timeout).await)
    }

    /// [`receive_json_from`](Self::receive_json_from), returning an error
    /// instead of panicking.
    pub async fn try_receive_json_from<T: DeserializeOwned>(
        &mut self,
        timeout: Duration,
    ) -> Result<T, ReceiveError> {
        let message = match self.next("receive_json_from", timeout).await? {
            Output::Message(message) => message,
            Output::Close(frame) => return Err(ReceiveError::Closed(frame)),
        };
        let Some(text) = message.as_text() else {
            return Err(ReceiveError::NotText(message));
        };
        serde_json::from_str(text).map_err(|err| ReceiveError::Json {
            text: text.to_owned(),
            error: err.to_string(),
        })
    }

    /// Waits for the application to close the connection, and returns its code.
    ///
    /// # Panics
    ///
    /// Panics when nothing arrives within the timeout, or a message comes first.
    pub async fn receive_close(&mut self) -> CloseCode {
        self.receive_close_timeout(self.timeout).await
    }

    /// [`receive_close`](Self::receive_close), waiting at most `timeout`.
    pub async fn receive_close_timeout(&mut self, timeout: Duration) -> CloseCode {
        match expect(self.next("receive_close", timeout).await) {
            Output::Close(frame) => frame.code,
            Output::Message(message) => expect(Err(ReceiveError::UnexpectedMessage(message))),
        }
    }

    /// Returns `true` if the application sends nothing for 0.1 s
    /// (Channels' `receive_nothing`).
    ///
    /// What arrives is not consumed: the next receive returns it. After
    /// the connection ended (closed, refused, or disconnected) nothing more
    /// can arrive, and this returns `true` at once unless an output is
    /// still waiting to be received.
    ///
    /// # Panics
    ///
    /// Panics before [`connect`](Self::connect).
    pub async fn receive_nothing(&mut self) -> bool {
        self.receive_nothing_timeout(Self::NOTHING_TIMEOUT).await
    }

    /// [`receive_nothing`](Self::receive_nothing), watching for `timeout`.
    pub async fn receive_nothing_timeout(&mut self, timeout: Duration) -> bool {
        let Some(connection) = self.connection.as_mut() else {
            panic!("receive_nothing called before connect(): connect first");
        };
        if connection.pending.is_some() {
            return false;
        }
        if !matches!(connection.state, State::Open) {
            return true;
        }
        let output = match tokio::time::timeout(timeout, connection.from_app.recv()).await {
            Ok(Some(output)) => output,
            Ok(None) => Output::Close(ended()),
            Err(_) => return true,
        };
        connection.pending = Some(output);
        false
    }

    /// Waits for the next output; `Close` for ever once the application closed.
    async fn next(
        &mut self,
        awaited: &'static str,
        timeout: Duration,
    ) -> Result<Output, ReceiveError> {
        let connection = self.live(awaited);
        let output = match (connection.pending.take(), &connection.state) {
            (Some(output), _) => output,
            (None, State::Closed(frame)) => return Ok(Output::Close(frame.clone())),
            (None, _) => match tokio::time::timeout(timeout, connection.from_app.recv()).await {
                Ok(Some(output)) => output,
                Ok(None) => Output::Close(ended()),
                Err(_) => {
                    return Err(ReceiveError::Timeout {
                        awaited,
                        after: timeout,
                    });
                }
            },
        };
        if let Output::Close(frame) = &output {
            connection.state = State::Closed(frame.clone());
        }
        Ok(output)
    }
}

/// What a client sees when the application ends without closing: the
/// connection drops, which reads as 1006.
fn ended() -> CloseFrame {
    CloseFrame::new(CloseCode::ABNORMAL).with_reason("the application ended without closing")
}

/// Fails the test with the error's message.
fn expect<T>(result: Result<T, ReceiveError>) -> T {
    result.unwrap_or_else(|err| panic!("{err}"))
}
