//! Data messages exchanged with a WebSocket client.

use std::fmt;

use bytes::Bytes;

/// An immutable UTF-8 string backed by [`Bytes`], so cloning it is cheap.
///
/// It is checked once, when it is made; reading it back costs nothing, and
/// a text frame passes between the socket and a consumer without being
/// checked again. It wraps tungstenite's `Utf8Bytes`, which the server's
/// WebSocket stack speaks.
///
/// ```
/// use aqueduct_core::Utf8Bytes;
///
/// let text = Utf8Bytes::from("hello");
/// assert_eq!(text.as_str(), "hello");
/// assert!(Utf8Bytes::try_from(bytes::Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(tungstenite::Utf8Bytes);

impl Utf8Bytes {
    /// Creates a `Utf8Bytes` from a static string without copying.
    pub const fn from_static(text: &'static str) -> Self {
        Self(tungstenite::Utf8Bytes::from_static(text))
    }

    /// Returns the text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Returns the length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns the underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        self.0.as_ref()
    }

    /// Converts into the underlying bytes without copying.
    pub fn into_bytes(self) -> Bytes {
        self.0.into()
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Self(text.into())
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Self(text.into())
    }
}

impl From<&String> for Utf8Bytes {
    fn from(text: &String) -> Self {
        text.as_str().into()
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        tungstenite::Utf8Bytes::try_from(bytes).map(Self)
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    fn try_from(bytes: Vec<u8>) -> Result<Self, Self::Error> {
        Bytes::from(bytes).try_into()
    }
}

impl Utf8Bytes {
    /// For WebSocket drivers: a text frame tungstenite has checked already.
    /// Not a `From` impl, so tungstenite stays out of the public API.
    pub(crate) fn from_tungstenite(text: tungstenite::Utf8Bytes) -> Self {
        Self(text)
    }

    /// For WebSocket drivers: the text of a frame to send, unchecked again.
    pub(crate) fn into_tungstenite(self) -> tungstenite::Utf8Bytes {
        self.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A WebSocket data message: text or binary.
///
/// Payloads are reference counted, so a message can be cloned to many
/// connections without copying it.
///
/// ```
/// use aqueduct_core::Message;
///
/// let text = Message::text("hi");
/// assert_eq!(text.as_text(), Some("hi"));
/// let binary = Message::binary(vec![1, 2, 3]);
/// assert_eq!(binary.len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message: always valid UTF-8.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// Creates a text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// Creates a binary message.
    pub fn binary(bytes: impl Into<Bytes>) -> Self {
        Self::Binary(bytes.into())
    }

    /// Returns the text of a text message, or `None` for a binary one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text.as_str()),
            Self::Binary(_) => None,
        }
    }

    /// Returns the payload of either kind as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }

    /// Returns the payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Returns whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Returns whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<Utf8Bytes> for Message {
    fn from(text: Utf8Bytes) -> Self {
        Self::Text(text)
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Self::binary(bytes)
    }
}
