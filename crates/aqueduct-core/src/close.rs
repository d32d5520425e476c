//! WebSocket close codes (RFC 6455, section 7.4) and close frames.

use std::fmt;

/// A WebSocket close code, as sent in a close frame or passed to `disconnect`.
///
/// The registered codes are associated constants, and so is the one code
/// aqueduct itself sends from the private range, [`MISSED_MESSAGES`](Self::MISSED_MESSAGES)
/// (4013); applications may use any other code in `4000..=4999` for their
/// own meanings.
///
/// ```
/// use aqueduct_core::CloseCode;
///
/// assert_eq!(CloseCode::MESSAGE_TOO_BIG.as_u16(), 1009);
/// assert_eq!(CloseCode::from(4001).to_string(), "4001");
/// assert_eq!(CloseCode::GOING_AWAY.to_string(), "1001 (going away)");
/// assert_eq!(CloseCode::MISSED_MESSAGES.to_string(), "4013 (missed messages)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// A close code from its number, usable in a `const`: an
    /// application's own codes are in `4000..=4999`.
    ///
    /// ```
    /// use aqueduct_core::CloseCode;
    ///
    /// const LOGIN_REQUIRED: CloseCode = CloseCode::new(4001);
    /// assert_eq!(LOGIN_REQUIRED.as_u16(), 4001);
    /// ```
    pub const fn new(code: u16) -> Self {
        Self(code)
    }

    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the server is shutting down or the browser left the page.
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the peer sent a kind of data the endpoint cannot accept
    /// (a binary frame to a text-only consumer, for instance).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: the close frame carried no code. Never sent on the wire.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: the connection dropped without a close frame. Never sent on the wire.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's payload was inconsistent with its type
    /// (invalid UTF-8 in a text frame, JSON that does not decode).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message or frame was larger than the configured maximum.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server hit an unexpected condition (an error or a panic in a consumer).
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: the server is overloaded; try again later. aqueduct sends it
    /// when the channel layer's service (Redis) cannot be reached.
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 4013, aqueduct's own: the connection fell behind and missed
    /// channel-layer messages, which its channel had no room for (see
    /// [`Overflow`](crate::Overflow)). The reason says how many: "missed
    /// 37 messages: the connection fell behind".
    ///
    /// Not 1013: that one says the server is in trouble and the client
    /// should retry later, which is how aqueduct reports a layer outage. A
    /// client closed with 4013 can reconnect at once, but must fetch what
    /// it missed first, or its state has a gap; the two need different
    /// code on the client, so they get different codes. 4013 echoes 1013
    /// so it reads as "try again", in the range RFC 6455 leaves to
    /// applications.
    pub const MISSED_MESSAGES: Self = Self(4013);

    /// Returns the numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Returns the registered name of this code, or aqueduct's name for
    /// [`MISSED_MESSAGES`](Self::MISSED_MESSAGES), if it has one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "normal closure",
            1001 => "going away",
            1002 => "protocol error",
            1003 => "unsupported data",
            1005 => "no status",
            1006 => "abnormal closure",
            1007 => "invalid payload",
            1008 => "policy violation",
            1009 => "message too big",
            1010 => "mandatory extension",
            1011 => "internal error",
            1012 => "service restart",
            1013 => "try again later",
            4013 => "missed messages",
            _ => return None,
        })
    }

    /// Returns whether this code may be sent in a close frame.
    ///
    /// 1005 and 1006 only ever describe what happened locally, and codes
    /// below 1000 or in the unassigned ranges are protocol errors on the wire.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({self})")
    }
}

/// A close frame: a code and a short reason for humans.
///
/// ```
/// use aqueduct_core::{CloseCode, CloseFrame};
///
/// let frame = CloseFrame::new(CloseCode::POLICY_VIOLATION).with_reason("origin not allowed");
/// assert_eq!(frame.code, CloseCode::POLICY_VIOLATION);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: CloseCode,
    /// The reason, at most 123 bytes of UTF-8 on the wire (longer reasons are cut).
    pub reason: String,
}

impl CloseFrame {
    /// The longest reason that fits a control frame's 125-byte payload.
    pub const MAX_REASON_LEN: usize = 123;

    /// Creates a close frame with an empty reason.
    pub fn new(code: CloseCode) -> Self {
        Self {
            code,
            reason: String::new(),
        }
    }

    /// Sets the reason, cutting it at a character boundary to fit a control frame.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        if reason.len() > Self::MAX_REASON_LEN {
            let mut end = Self::MAX_REASON_LEN;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        self.reason = reason;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes() {
        let table = [
            (999, false),
            (1000, true),
            (1004, false),
            (1005, false),
            (1006, false),
            (1007, true),
            (1011, true),
            (1015, false),
            (2999, false),
            (3000, true),
            (4013, true),
            (4999, true),
            (5000, false),
        ];
        for (code, sendable) in table {
            assert_eq!(CloseCode::from(code).is_sendable(), sendable, "{code}");
        }
    }

    #[test]
    fn long_reason_is_cut_at_a_char_boundary() {
        let frame = CloseFrame::new(CloseCode::NORMAL).with_reason("é".repeat(100));
        assert!(frame.reason.len() <= CloseFrame::MAX_REASON_LEN);
        assert_eq!(frame.reason.len(), 122);
    }
}
