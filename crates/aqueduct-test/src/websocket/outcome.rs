//! What a test observes: how the handshake ended, and what came after.

use aqueduct_core::{CloseFrame, Message};
use http::{HeaderMap, StatusCode};

/// How the application answered the handshake: what
/// [`WebsocketCommunicator::connect`](super::WebsocketCommunicator::connect) returns.
///
/// Channels' `connected, subprotocol = await communicator.connect()`, typed.
/// A consumer that closes before accepting refuses the handshake with 403,
/// as Daphne does, so that shows here as `Rejected`.
///
/// ```
/// use aqueduct_test::Connected;
/// use http::StatusCode;
///
/// let accepted = Connected::Accepted { subprotocol: Some("chat.v2".into()), headers: Default::default() };
/// assert!(accepted.is_accepted());
/// assert_eq!(accepted.subprotocol(), Some("chat.v2"));
/// assert_eq!(accepted.status(), StatusCode::SWITCHING_PROTOCOLS);
///
/// let refused = Connected::Rejected {
///     status: StatusCode::FORBIDDEN,
///     headers: Default::default(),
///     body: "Forbidden".into(),
/// };
/// refused.assert_rejected(StatusCode::FORBIDDEN);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a refused handshake goes unnoticed unless the result is checked"]
pub enum Connected {
    /// The application accepted: a client would get `101 Switching Protocols`.
    Accepted {
        /// The subprotocol the application chose, if any.
        subprotocol: Option<String>,
        /// The extra headers the application added to the `101` response.
        headers: HeaderMap,
    },
    /// The application refused: a client would get this HTTP response.
    Rejected {
        /// The response status: 403 unless the application chose another,
        /// 500 if it failed or ended without answering.
        status: StatusCode,
        /// The headers the application added to the response.
        headers: HeaderMap,
        /// The response body.
        body: String,
    },
}

impl Connected {
    /// Returns whether the handshake was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }

    /// The subprotocol the application chose; `None` if it chose none or refused.
    pub fn subprotocol(&self) -> Option<&str> {
        match self {
            Self::Accepted { subprotocol, .. } => subprotocol.as_deref(),
            Self::Rejected { .. } => None,
        }
    }

    /// The status a client would see: `101` when accepted.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Accepted { .. } => StatusCode::SWITCHING_PROTOCOLS,
            Self::Rejected { status, .. } => *status,
        }
    }

    /// The headers the application added to its answer.
    pub fn headers(&self) -> &HeaderMap {
        match self {
            Self::Accepted { headers, .. } | Self::Rejected { headers, .. } => headers,
        }
    }

    /// Fails the test unless the handshake was accepted.
    ///
    /// # Panics
    ///
    /// Panics with the refusal's status and body when it was rejected.
    #[track_caller]
    pub fn assert_accepted(&self) {
        if let Self::Rejected { status, body, .. } = self {
            panic!(
                "expected the handshake to be accepted, but it was rejected with {status}: {body:?}"
            );
        }
    }

    /// Fails the test unless the handshake was rejected with `status`.
    ///
    /// # Panics
    ///
    /// Panics when it was accepted, or rejected with another status.
    #[track_caller]
    pub fn assert_rejected(&self, status: StatusCode) {
        match self {
            Self::Accepted { .. } => {
                panic!("expected the handshake to be rejected with {status}, but it was accepted")
            }
            Self::Rejected {
                status: got, body, ..
            } if *got != status => {
                panic!(
                    "expected the handshake to be rejected with {status}, but it was rejected with {got}: {body:?}"
                )
            }
            Self::Rejected { .. } => {}
        }
    }
}

/// One thing the application sent after accepting: a message, or the close.
///
/// What [`WebsocketCommunicator::receive_output`](super::WebsocketCommunicator::receive_output)
/// returns, for tests that do not know which comes next.
///
/// ```
/// use aqueduct_core::{CloseCode, CloseFrame, Message};
/// use aqueduct_test::Output;
///
/// let output = Output::Close(CloseFrame::new(CloseCode::INVALID_PAYLOAD));
/// assert_eq!(output.close_code(), Some(CloseCode::INVALID_PAYLOAD));
/// assert_eq!(Output::Message(Message::text("hi")).close_code(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A text or binary message.
    Message(Message),
    /// The application closed the connection with this frame. When it
    /// ended without closing, the frame carries 1006, as a client would
    /// see a dropped connection.
    Close(CloseFrame),
}

impl Output {
    /// The message, if this is one.
    pub fn as_message(&self) -> Option<&Message> {
        match self {
            Self::Message(message) => Some(message),
            Self::Close(_) => None,
        }
    }

    /// The close code, if this is the close.
    pub fn close_code(&self) -> Option<aqueduct_core::CloseCode> {
        match self {
            Self::Message(_) => None,
            Self::Close(frame) => Some(frame.code),
        }
    }
}
