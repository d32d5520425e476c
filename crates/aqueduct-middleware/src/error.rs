//! The errors of this crate.

use std::fmt;

/// A session could not be saved: it does not serialize to JSON (a map
/// with keys that are not strings, say).
#[derive(Debug)]
pub struct SessionError(serde_json::Error);

impl SessionError {
    pub(crate) fn new(err: serde_json::Error) -> Self {
        Self(err)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the session cannot be written as JSON: {}", self.0)
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
