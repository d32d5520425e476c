//! The error a consumer hook returns.

use std::fmt;

use crate::body::BoxError;

/// An error returned from a consumer hook.
///
/// Any `std::error::Error + Send + Sync` converts into it with `?`, so hooks
/// can use the errors of whatever they call. What happens next is fixed:
/// before the handshake is accepted the client gets HTTP 500, after it the
/// connection closes with 1011; either way the error is logged and
/// the server keeps serving.
///
/// ```
/// use aqueduct_core::Error;
///
/// fn parse(input: &str) -> aqueduct_core::Result<i64> {
///     Ok(input.parse::<i64>()?)
/// }
///
/// assert!(parse("12").is_ok());
/// let err: Error = parse("twelve").unwrap_err();
/// assert_eq!(err.to_string(), "invalid digit found in string");
/// assert_eq!(Error::msg("no such room").to_string(), "no such room");
/// ```
pub struct Error {
    inner: BoxError,
}

/// The result type of consumer hooks.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

impl Error {
    /// Creates an error from a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self {
            inner: message.to_string().into(),
        }
    }

    /// Creates an error from any boxed error.
    pub fn from_boxed(inner: BoxError) -> Self {
        Self { inner }
    }

    /// Returns the underlying error.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.inner
    }

    /// Converts into the underlying boxed error.
    pub fn into_inner(self) -> BoxError {
        self.inner
    }

    /// Returns the underlying error if it is of type `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.inner.downcast_ref()
    }
}

// `Error` deliberately does not implement `std::error::Error`: that is what
// lets every error type convert into it with `?` without a conflicting impl.
impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(err: E) -> Self {
        Self {
            inner: Box::new(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)?;
        let mut source = self.inner.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// The message of a caught panic, for the log line that reports it.
///
/// Drivers and routers catch a panicking hook or view (through
/// `catch_panic`) so that one connection cannot take the server down;
/// this is what they log.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let cases: [(Box<dyn std::any::Any + Send>, &str); 3] = [
            (Box::new("no room"), "no room"),
            (Box::new(format!("no room {}", 7)), "no room 7"),
            (Box::new(7_u8), "a non-string panic payload"),
        ];
        for (payload, expected) in cases {
            assert_eq!(panic_message(&*payload), expected);
        }
    }
}
