//! What can go wrong in routing, and how to fix it.
//!
//! A bad route pattern is a programmer error found at startup:
//! `UrlRouter::route` panics with the message built here, naming the
//! pattern, as axum's `route` does; `try_route` returns it as a
//! [`PatternError`] instead. A request body a view cannot read is a
//! runtime failure, a [`BodyError`].

use std::fmt;

use crate::url::converter::Converter;

/// Why a route pattern was refused, as
/// [`UrlRouter::try_route`](crate::UrlRouter::try_route) and
/// [`Views::try_route`](crate::Views::try_route) return it.
///
/// Its message says how to fix the pattern.
///
/// ```
/// use aqueduct_routing::{PatternError, UrlRouter};
/// # #[derive(Default)] struct RoomConsumer;
/// # impl aqueduct_core::WebsocketConsumer for RoomConsumer { type Event = aqueduct_core::NoEvents; }
///
/// let err = UrlRouter::new().try_route("ws/<foo:room>/", RoomConsumer::default).unwrap_err();
/// assert!(matches!(err, PatternError::UnknownConverter { ref converter } if converter == "foo"));
/// assert!(err.to_string().contains("use one of str, int, slug, uuid, path"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// `<foo:name>` with a converter that does not exist.
    UnknownConverter {
        /// The converter's name, `foo`.
        converter: String,
    },
    /// A `<` with no `>` after it.
    Unclosed {
        /// The byte offset of the `<` in the pattern.
        at: usize,
    },
    /// `<>` or `<int:>`.
    EmptyName,
    /// A name that is not an identifier, such as `<room-name>`.
    BadName {
        /// The name as written.
        name: String,
    },
    /// Two parameters with the same name.
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// Two parameters in one path segment, such as `<a>-<b>`.
    SharedSegment {
        /// The first parameter, as written (`<a>`).
        first: String,
        /// The second parameter, as written (`<b>`).
        second: String,
    },
    /// Text or parameters after a `<path:…>` parameter.
    PathNotLast {
        /// The name of the `<path:…>` parameter.
        name: String,
    },
    /// A nested router's prefix with a `<path:…>` parameter.
    PathInPrefix {
        /// The name of the `<path:…>` parameter.
        name: String,
    },
    /// A nested router's prefix that ends with a parameter, such as `ws/<room>`.
    PrefixEndsWithParam {
        /// The name of the last parameter.
        name: String,
    },
    /// A route that an earlier route always matches first.
    Shadowed {
        /// The earlier route's pattern, as written.
        by: String,
    },
}

impl std::error::Error for PatternError {}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownConverter { converter } => write!(
                f,
                "unknown converter `{converter}`; use one of {}",
                Converter::NAMES
            ),
            Self::Unclosed { at } => write!(
                f,
                "the `<` at byte {at} is never closed; close it with `>`, as in `<int:id>`"
            ),
            Self::EmptyName => f.write_str(
                "a parameter has an empty name; write `<name>` or `<converter:name>`, as in `<int:id>`",
            ),
            Self::BadName { name } => write!(
                f,
                "`{name}` is not a valid parameter name; use letters, digits and `_`, \
                 not starting with a digit, as in `<room_name>`"
            ),
            Self::DuplicateName { name } => write!(
                f,
                "the parameter `{name}` appears twice; give each parameter its own name"
            ),
            Self::SharedSegment { first, second } => write!(
                f,
                "`{first}` and `{second}` share one path segment; a segment holds at most \
                 one parameter, so put a `/` between them"
            ),
            Self::PathNotLast { name } => write!(
                f,
                "`<path:{name}>` must end the pattern, because it takes the rest of the path; \
                 remove what follows it, or use `<str:{name}>` to match one segment"
            ),
            Self::PathInPrefix { name } => write!(
                f,
                "a nested router's prefix cannot hold `<path:{name}>`, which would leave \
                 nothing for the inner router; use `<str:{name}>` to match one segment"
            ),
            Self::PrefixEndsWithParam { name } => write!(
                f,
                "a nested router's prefix cannot end with the parameter `{name}`; \
                 end the prefix with `/`, as in \"ws/<{name}>/\""
            ),
            Self::Shadowed { by } => write!(
                f,
                "it can never match, because the earlier route \"{by}\" matches every path \
                 it matches; remove one of them, or add the stricter one first"
            ),
        }
    }
}

/// Why a view could not read its request body.
///
/// A view that passes it on with `?` answers `413 Payload Too Large` or
/// `400 Bad Request`, as the variant says.
///
/// ```
/// use aqueduct_routing::views::BodyError;
///
/// let err = BodyError::TooLarge { limit: 1024 };
/// assert!(err.to_string().contains("1024 bytes"));
/// ```
#[cfg(feature = "views")]
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is longer than the limit the view read it with.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The client stopped sending, or sent a malformed body.
    Read {
        /// What went wrong underneath.
        source: aqueduct_core::BoxError,
    },
}

#[cfg(feature = "views")]
impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(
                f,
                "the request body is larger than {limit} bytes; read a larger one with \
                 `ViewRequest::bytes_limited`, or stream it from `ViewRequest::take_body`"
            ),
            // The cause is `source()`, which `aqueduct_core::Error` prints after a colon.
            Self::Read { .. } => f.write_str("could not read the request body"),
        }
    }
}

#[cfg(feature = "views")]
impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::TooLarge { .. } => None,
            Self::Read { source } => Some(&**source),
        }
    }
}
