//! What a read error from a client means for the connection.

use aqueduct_core::CloseCode;
use hyper_tungstenite::tungstenite::Error;
use hyper_tungstenite::tungstenite::error::{CapacityError, ProtocolError};

use crate::rate::Rate;

/// How a connection ends after a read error, or a message past its rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The client broke a rule: tell it why with a close frame.
    Close(CloseCode, &'static str),
    /// The client sent messages faster than this: close with 1008.
    TooManyMessages(Rate),
    /// The connection is gone; there is nobody to send a close frame to.
    Gone,
}

/// Maps a read error to the close code RFC 6455 gives it.
pub(crate) fn classify(err: &Error) -> Failure {
    match err {
        Error::Utf8(_) => Failure::Close(
            CloseCode::INVALID_PAYLOAD,
            "text message is not valid UTF-8",
        ),
        Error::Capacity(CapacityError::MessageTooLong { .. }) => Failure::Close(
            CloseCode::MESSAGE_TOO_BIG,
            "message larger than the server accepts",
        ),
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Failure::Gone,
        Error::Protocol(_) | Error::Capacity(_) => {
            Failure::Close(CloseCode::PROTOCOL_ERROR, "WebSocket protocol violation")
        }
        Error::AttackAttempt => {
            Failure::Close(CloseCode::POLICY_VIOLATION, "attack attempt detected")
        }
        _ => Failure::Gone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_map_to_close_codes() {
        let table = [
            (Error::Utf8("bad".into()), Some(1007)),
            (
                Error::Capacity(CapacityError::MessageTooLong {
                    size: 2,
                    max_size: 1,
                }),
                Some(1009),
            ),
            (
                Error::Protocol(ProtocolError::UnmaskedFrameFromClient),
                Some(1002),
            ),
            (
                Error::Protocol(ProtocolError::NonZeroReservedBits),
                Some(1002),
            ),
            (Error::Protocol(ProtocolError::InvalidOpcode(3)), Some(1002)),
            (
                Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                None,
            ),
            (Error::ConnectionClosed, None),
            (Error::Io(std::io::ErrorKind::ConnectionReset.into()), None),
        ];
        for (err, code) in table {
            let got = match classify(&err) {
                Failure::Close(code, _) => Some(code.as_u16()),
                Failure::TooManyMessages(_) | Failure::Gone => None,
            };
            assert_eq!(got, code, "{err}");
        }
    }
}
