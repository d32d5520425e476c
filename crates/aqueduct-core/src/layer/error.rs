//! Errors of channel layers.

use std::fmt;

use crate::body::BoxError;
use crate::event::EventError;

/// Why a channel-layer operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum LayerError {
    /// The channel already holds its capacity of unread messages
    /// (Channels' `ChannelFull`).
    ChannelFull {
        /// The full channel.
        channel: String,
    },
    /// A channel name does not follow the Channels rules.
    InvalidChannelName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A group name does not follow the Channels rules.
    InvalidGroupName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A message could not be encoded or decoded.
    Event(EventError),
    /// The connection has no channel layer: configure one on the
    /// `ProtocolTypeRouter` (or the test communicator).
    NotConfigured,
    /// The reader of `channel` fell behind: its channel was full when
    /// group sends came, and it missed `missed` messages, which were
    /// neither stored nor will be (see [`Overflow`](crate::Overflow)).
    ///
    /// A reader gets it once, in place of those messages and ahead of
    /// anything queued after them, then receives normally again. A
    /// consumer's connection closes on it with 4013
    /// ([`CloseCode::MISSED_MESSAGES`](crate::CloseCode::MISSED_MESSAGES)),
    /// so its client knows to fetch what it missed.
    Overflowed {
        /// The channel that missed messages.
        channel: String,
        /// How many it missed.
        missed: u64,
    },
    /// The service behind the layer (Redis) failed.
    Backend(BoxError),
    /// The service behind the layer (Redis) cannot be reached for now.
    ///
    /// A consumer hook that fails with it closes its connection with 1013
    /// (try again later), or refuses the handshake with 503, rather than
    /// with 1011 or 500: the client may well succeed once the service is
    /// back.
    Unavailable(BoxError),
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChannelFull { channel } => write!(
                f,
                "channel {channel:?} is full: its reader is not keeping up \
                 (raise the capacity if this is expected)"
            ),
            Self::InvalidChannelName { name, reason } => {
                write!(f, "invalid channel name {name:?}: {reason}")
            }
            Self::InvalidGroupName { name, reason } => {
                write!(f, "invalid group name {name:?}: {reason}")
            }
            Self::Event(err) => fmt::Display::fmt(err, f),
            Self::NotConfigured => f.write_str(
                "no channel layer is configured: add one with \
                 ProtocolTypeRouter::channel_layer(InMemoryChannelLayer::new())",
            ),
            Self::Overflowed { channel, missed } => write!(
                f,
                "channel {channel:?} missed {missed} messages: its reader fell behind and \
                 its channel was full (raise the capacity, or choose Overflow::Wait)"
            ),
            Self::Backend(err) => write!(f, "channel layer backend failed: {err}"),
            Self::Unavailable(err) => write!(f, "channel layer backend unavailable: {err}"),
        }
    }
}

impl std::error::Error for LayerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Event(err) => Some(err),
            Self::Backend(err) | Self::Unavailable(err) => Some(&**err),
            _ => None,
        }
    }
}

impl From<EventError> for LayerError {
    fn from(err: EventError) -> Self {
        Self::Event(err)
    }
}
