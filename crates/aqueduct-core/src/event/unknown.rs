//! Telling an event of a type the target does not know from one whose
//! payload does not fit.
//!
//! serde reports both as a decode error; Channels tells them apart ("No
//! handler for message type …" against a `KeyError` in the handler), and
//! so must a consumer's log. Decoding the type alone, with an error type
//! that records serde's `unknown_variant` call, tells them apart without
//! parsing error messages. It runs only after a decode has failed.

use std::fmt;

use serde::de::value::MapDeserializer;
use serde::de::{self, DeserializeOwned};

use super::TYPE_KEY;

/// The types `T` knows, if `T` is an enum tagged on `"type"` that has no
/// variant for `event_type`; `None` if `event_type` is not what stops it.
pub(super) fn known_types<T: DeserializeOwned>(
    event_type: &str,
) -> Option<&'static [&'static str]> {
    let alone = MapDeserializer::<_, Probe>::new(std::iter::once((TYPE_KEY, event_type)));
    match T::deserialize(alone) {
        Err(Probe::UnknownVariant(known)) => Some(known),
        Ok(_) | Err(Probe::Other) => None,
    }
}

/// What decoding the type alone ran into.
#[derive(Debug)]
enum Probe {
    /// No variant of the enum has this tag: serde's `unknown_variant`.
    UnknownVariant(&'static [&'static str]),
    /// Anything else, such as a missing field of a known variant.
    Other,
}

impl de::Error for Probe {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        Self::Other
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        Self::UnknownVariant(expected)
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownVariant(_) => f.write_str("unknown variant"),
            Self::Other => f.write_str("other decode error"),
        }
    }
}

impl std::error::Error for Probe {}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::event::NoEvents;

    #[derive(Debug, Deserialize)]
    #[serde(tag = "type")]
    #[allow(dead_code)]
    enum Chat {
        #[serde(rename = "chat.message")]
        Message { message: String },
        #[serde(rename = "chat.ping")]
        Ping,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Plain {
        message: String,
    }

    #[test]
    fn only_a_type_no_variant_has_is_unknown() {
        const CHAT: &[&str] = &["chat.message", "chat.ping"];
        let table = [
            (
                known_types::<Chat>("chat.typo"),
                Some(CHAT),
                "Chat chat.typo",
            ),
            // Known, with fields the payload lacked: the payload's fault.
            (
                known_types::<Chat>("chat.message"),
                None,
                "Chat chat.message",
            ),
            // Known, with no fields: whatever failed, it was not the type.
            (known_types::<Chat>("chat.ping"), None, "Chat chat.ping"),
            (
                known_types::<NoEvents>("chat.message"),
                Some(&[][..]),
                "NoEvents",
            ),
            // Not an enum: no type is unknown to it.
            (known_types::<Plain>("chat.typo"), None, "Plain"),
            (known_types::<serde_json::Value>("chat.typo"), None, "Value"),
        ];
        for (got, expected, case) in table {
            assert_eq!(got, expected, "{case}");
        }
    }
}
