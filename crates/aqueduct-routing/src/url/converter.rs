//! Django's path converters: what `<int:id>` accepts and what it yields.

use aqueduct_core::Param;

/// A path converter, the part before `:` in `<int:id>`.
///
/// The matchit tree only knows where a parameter starts and ends; what it
/// may contain is checked here, after the tree has matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Converter {
    /// `<name>` or `<str:name>`: one non-empty segment, no `/`.
    Str,
    /// `<int:name>`: `[0-9]+`, read as an `i64`.
    Int,
    /// `<slug:name>`: `[-a-zA-Z0-9_]+`.
    Slug,
    /// `<uuid:name>`: a lower-case hyphenated UUID.
    Uuid,
    /// `<path:name>`: the rest of the path, slashes included, non-empty.
    Path,
}

impl Converter {
    /// The converter names, for error messages.
    pub(crate) const NAMES: &'static str = "str, int, slug, uuid, path";

    /// Looks a converter up by the name written in a pattern.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "str" => Some(Self::Str),
            "int" => Some(Self::Int),
            "slug" => Some(Self::Slug),
            "uuid" => Some(Self::Uuid),
            "path" => Some(Self::Path),
            _ => None,
        }
    }

    /// Turns the text matched for the parameter `name` into a [`Param`], or
    /// `None` when this converter does not accept it (the route then does
    /// not match, and the next one is tried).
    pub(crate) fn convert(self, name: &str, text: &str) -> Option<Param> {
        let accepted = match self {
            Self::Str => !text.is_empty() && !text.contains('/'),
            Self::Int => {
                let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
                // Too large for an i64: no match, rather than a wrong number.
                return digits
                    .then(|| text.parse().ok())
                    .flatten()
                    .map(|int| Param::int(name, text, int));
            }
            Self::Slug => {
                !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Self::Uuid => is_uuid(text),
            Self::Path => !text.is_empty(),
        };
        accepted.then(|| Param::text(name, text))
    }

    /// Whether this converter accepts every text that `other` accepts, so
    /// that a route using `other` in the same place could never be reached.
    pub(crate) fn covers(self, other: Self) -> bool {
        match (self, other) {
            _ if self == other => true,
            (Self::Str, Self::Int | Self::Slug | Self::Uuid) => true,
            (Self::Slug, Self::Int | Self::Uuid) => true,
            _ => false,
        }
    }
}

/// `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, as Django's.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0b2d3f4a-5c6e-4f80-9a1b-2c3d4e5f6a7b";

    #[test]
    fn converters_accept_what_django_accepts() {
        use Converter::*;
        let cases: &[(Converter, &str, Option<Option<i64>>)] = &[
            // (converter, text, None = refused / Some(int value or None for text))
            (Str, "lobby", Some(None)),
            (Str, "café au lait", Some(None)),
            (Str, "a/b", None),
            (Str, "", None),
            (Int, "42", Some(Some(42))),
            (Int, "007", Some(Some(7))),
            (Int, "9223372036854775807", Some(Some(i64::MAX))),
            (Int, "9223372036854775808", None),
            (Int, "-1", None),
            (Int, "+1", None),
            (Int, "4a", None),
            (Int, "", None),
            (Slug, "my-room_2", Some(None)),
            (Slug, "my room", None),
            (Slug, "café", None),
            (Slug, "", None),
            (Uuid, UUID, Some(None)),
            (Uuid, "0B2D3F4A-5C6E-4F80-9A1B-2C3D4E5F6A7B", None),
            (Uuid, "0b2d3f4a5c6e4f809a1b2c3d4e5f6a7b", None),
            (Uuid, "0b2d3f4a-5c6e-4f80-9a1b-2c3d4e5f6a7", None),
            (Uuid, "0b2d3f4a-5c6e-4f80-9a1b-2c3d4e5f6a7g", None),
            (Path, "a/b/c.txt", Some(None)),
            (Path, "", None),
        ];
        for &(converter, text, expected) in cases {
            let got = converter.convert("x", text);
            let got = got.map(|param| {
                assert_eq!(param.value(), text);
                param.as_int()
            });
            assert_eq!(got, expected, "{converter:?} on {text:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in Converter::NAMES.split(", ") {
            assert!(Converter::from_name(name).is_some(), "{name}");
        }
        assert_eq!(Converter::from_name("integer"), None);
    }

    #[test]
    fn broader_converters_cover_narrower_ones() {
        use Converter::*;
        let cases = [
            (Str, Int, true),
            (Str, Uuid, true),
            (Slug, Int, true),
            (Slug, Uuid, true),
            (Int, Int, true),
            (Int, Slug, false),
            (Uuid, Slug, false),
            (Int, Uuid, false),
            (Str, Path, false),
        ];
        for (broad, narrow, expected) in cases {
            assert_eq!(
                broad.covers(narrow),
                expected,
                "{broad:?} covers {narrow:?}"
            );
        }
    }
}
