//! Why a receive did not get what the test expected.

use std::fmt;
use std::time::Duration;

use aqueduct_core::{CloseFrame, Message};

/// Why a `try_receive_*` call of a
/// [`WebsocketCommunicator`](crate::WebsocketCommunicator) did not return
/// what it waits for.
///
/// The panicking methods (`receive_from`, `receive_json_from`, …) fail the
/// test with this error's message.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_test::ReceiveError;
///
/// let err = ReceiveError::Timeout { awaited: "receive_from", after: Duration::from_secs(1) };
/// assert!(err.to_string().starts_with("receive_from timed out after 1s"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiveError {
    /// Nothing arrived from the application in time.
    Timeout {
        /// The method that waited, such as `"receive_from"`.
        awaited: &'static str,
        /// How long it waited.
        after: Duration,
    },
    /// The application closed the connection instead of sending a message.
    Closed(CloseFrame),
    /// The application sent a message where the test expected the close.
    UnexpectedMessage(Message),
    /// A binary message arrived where the test expected JSON text.
    NotText(Message),
    /// The text did not decode as JSON of the expected type.
    Json {
        /// The text the application sent.
        text: String,
        /// What serde_json reported.
        error: String,
    },
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { awaited, after } => write!(
                f,
                "{awaited} timed out after {after:?}: the application sent nothing. \
                 If it is slow on purpose, pass a longer timeout (the `_timeout` variant \
                 of the method, or `WebsocketCommunicator::timeout`)"
            ),
            Self::Closed(frame) => {
                write!(
                    f,
                    "expected a message, but the application closed the connection with {}",
                    frame.code
                )?;
                if !frame.reason.is_empty() {
                    write!(f, " ({:?})", frame.reason)?;
                }
                Ok(())
            }
            Self::UnexpectedMessage(message) => write!(
                f,
                "expected the application to close the connection, but it sent {message:?}"
            ),
            Self::NotText(message) => write!(
                f,
                "expected a JSON text message, but the application sent a binary message of {} bytes",
                message.len()
            ),
            Self::Json { text, error } => write!(
                f,
                "the application's message is not the JSON expected: {error}; the text was {text:?}"
            ),
        }
    }
}

impl std::error::Error for ReceiveError {}

#[cfg(test)]
mod tests {
    use aqueduct_core::CloseCode;

    use super::*;

    #[test]
    fn messages_name_what_happened() {
        let table = [
            (
                ReceiveError::Timeout {
                    awaited: "receive_json_from",
                    after: Duration::from_millis(1500),
                },
                "receive_json_from timed out after 1.5s",
            ),
            (
                ReceiveError::Closed(
                    CloseFrame::new(CloseCode::INVALID_PAYLOAD).with_reason("bad"),
                ),
                "closed the connection with 1007 (invalid payload) (\"bad\")",
            ),
            (
                ReceiveError::UnexpectedMessage(Message::text("hi")),
                "but it sent Text(\"hi\")",
            ),
            (
                ReceiveError::NotText(Message::binary(vec![1, 2, 3])),
                "binary message of 3 bytes",
            ),
        ];
        for (err, expected) in table {
            let text = err.to_string();
            assert!(text.contains(expected), "{text:?} lacks {expected:?}");
        }
    }
}
