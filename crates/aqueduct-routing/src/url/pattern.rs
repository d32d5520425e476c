//! Django `path()` patterns: parsing `ws/chat/<room_name>/` and `<int:id>`.

use std::fmt;

use aqueduct_core::Param;

use super::converter::Converter;
use crate::error::PatternError;

/// A parsed route pattern, its leading `/` removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The pattern as the user wrote it, for messages.
    source: String,
    parts: Vec<Part>,
}

/// One piece of a pattern: fixed text or a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text that must appear as written.
    Static(String),
    /// A captured parameter, `<converter:name>`.
    Param(ParamSpec),
}

/// A parameter as written in a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamSpec {
    pub(crate) name: String,
    pub(crate) converter: Converter,
}

impl Pattern {
    /// Parses a Django `path()` pattern. The leading `/` is optional.
    pub(crate) fn parse(source: &str) -> Result<Self, PatternError> {
        let body = source.strip_prefix('/').unwrap_or(source);
        let mut offset = source.len() - body.len();
        let mut parts = Vec::new();
        let mut rest = body;
        while let Some(open) = rest.find('<') {
            if open > 0 {
                parts.push(Part::Static(rest[..open].to_owned()));
            }
            let inside = &rest[open + 1..];
            let close = inside
                .find('>')
                .ok_or(PatternError::Unclosed { at: offset + open })?;
            parts.push(Part::Param(ParamSpec::parse(&inside[..close])?));
            rest = &inside[close + 1..];
            offset += open + close + 2;
        }
        if !rest.is_empty() {
            parts.push(Part::Static(rest.to_owned()));
        }
        validate(&parts)?;
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// The pattern as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The pieces of the pattern, in order.
    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The parameters, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &ParamSpec> {
        self.parts.iter().filter_map(|part| match part {
            Part::Param(spec) => Some(spec),
            Part::Static(_) => None,
        })
    }

    /// Checks that the pattern can be a prefix, with a nested router after it.
    pub(crate) fn check_prefix(&self) -> Result<(), PatternError> {
        if let Some(spec) = self.params().find(|p| p.converter == Converter::Path) {
            return Err(PatternError::PathInPrefix {
                name: spec.name.clone(),
            });
        }
        match self.parts.last() {
            Some(Part::Param(spec)) => Err(PatternError::PrefixEndsWithParam {
                name: spec.name.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Runs each parameter's converter on the text matched in its place.
    /// `None` when one of them refuses its text.
    pub(crate) fn convert(&self, values: &[&str]) -> Option<Vec<Param>> {
        self.params()
            .zip(values)
            .map(|(spec, text)| spec.converter.convert(&spec.name, text))
            .collect()
    }

    /// Whether this pattern accepts every path `later` accepts, given that
    /// both have the same shape (the same text with parameters in the same
    /// places).
    pub(crate) fn covers(&self, later: &Pattern) -> bool {
        self.params()
            .zip(later.params())
            .all(|(a, b)| a.converter.covers(b.converter))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl ParamSpec {
    /// Parses what is between `<` and `>`: `name` or `converter:name`.
    fn parse(inside: &str) -> Result<Self, PatternError> {
        let (converter, name) = match inside.split_once(':') {
            Some((converter, name)) => (
                Converter::from_name(converter).ok_or_else(|| PatternError::UnknownConverter {
                    converter: converter.to_owned(),
                })?,
                name,
            ),
            None => (Converter::Str, inside),
        };
        if name.is_empty() {
            return Err(PatternError::EmptyName);
        }
        if !is_identifier(name) {
            return Err(PatternError::BadName {
                name: name.to_owned(),
            });
        }
        Ok(Self {
            name: name.to_owned(),
            converter,
        })
    }
}

/// Django requires parameter names to be Python identifiers; ASCII ones here.
fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks what a matchit tree can hold: unique names, one parameter per
/// segment, `<path:…>` last.
fn validate(parts: &[Part]) -> Result<(), PatternError> {
    let mut names: Vec<&str> = Vec::new();
    let mut in_segment: Option<&str> = None;
    for (i, part) in parts.iter().enumerate() {
        let spec = match part {
            Part::Static(text) if text.contains('/') => {
                in_segment = None;
                continue;
            }
            Part::Static(_) => continue,
            Part::Param(spec) => spec,
        };
        if names.contains(&spec.name.as_str()) {
            return Err(PatternError::DuplicateName {
                name: spec.name.clone(),
            });
        }
        if let Some(first) = in_segment {
            return Err(PatternError::SharedSegment {
                first: format!("<{first}>"),
                second: format!("<{}>", spec.name),
            });
        }
        if spec.converter == Converter::Path && i + 1 < parts.len() {
            return Err(PatternError::PathNotLast {
                name: spec.name.clone(),
            });
        }
        names.push(&spec.name);
        in_segment = Some(&spec.name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders parts with explicit converters, so a table can show them.
    fn render(pattern: &Pattern) -> String {
        pattern
            .parts()
            .iter()
            .map(|part| match part {
                Part::Static(text) => format!("[{text}]"),
                Part::Param(spec) => format!("<{:?}:{}>", spec.converter, spec.name),
            })
            .collect()
    }

    #[test]
    fn parses_django_patterns() {
        #[rustfmt::skip]
        let cases = [
            ("ws/chat/<room_name>/", "[ws/chat/]<Str:room_name>[/]"),
            ("/ws/chat/<room_name>/", "[ws/chat/]<Str:room_name>[/]"),
            ("ws/<str:a>/<int:b>/", "[ws/]<Str:a>[/]<Int:b>[/]"),
            ("<slug:s>/<uuid:u>", "<Slug:s>[/]<Uuid:u>"),
            ("files/<path:rest>", "[files/]<Path:rest>"),
            ("img-<int:id>.png", "[img-]<Int:id>[.png]"),
            ("a>b/{x}/", "[a>b/{x}/]"),
            ("", ""),
            ("/", ""),
        ];
        for (source, expected) in cases {
            let pattern = Pattern::parse(source).unwrap();
            assert_eq!(render(&pattern), expected, "{source:?}");
            assert_eq!(pattern.source(), source);
        }
    }

    #[test]
    fn refuses_malformed_patterns() {
        use PatternError::*;
        let s = |text: &str| text.to_owned();
        #[rustfmt::skip]
        let cases = [
            ("ws/<foo:x>/",     UnknownConverter { converter: s("foo") }),
            ("ws/<:x>/",        UnknownConverter { converter: s("") }),
            ("ws/<int:id/",     Unclosed { at: 3 }),
            ("/ws/<int:id/",    Unclosed { at: 4 }),
            ("ws/<a>/<b",       Unclosed { at: 7 }),
            ("ws/<>/",          EmptyName),
            ("ws/<int:>/",      EmptyName),
            ("ws/<room-name>/", BadName { name: s("room-name") }),
            ("ws/<1st>/",       BadName { name: s("1st") }),
            ("ws/<a b>/",       BadName { name: s("a b") }),
            ("<id>/<int:id>/",  DuplicateName { name: s("id") }),
            ("<a>-<b>/",        SharedSegment { first: s("<a>"), second: s("<b>") }),
            ("<a><path:b>",     SharedSegment { first: s("<a>"), second: s("<b>") }),
            ("<path:p>/raw/",   PathNotLast { name: s("p") }),
        ];
        for (source, expected) in cases {
            assert_eq!(Pattern::parse(source), Err(expected), "{source:?}");
        }
    }

    #[test]
    fn prefixes_must_leave_a_clean_rest() {
        let s = |text: &str| text.to_owned();
        #[rustfmt::skip]
        let cases = [
            ("ws/",         Ok(())),
            ("ws/<room>/",  Ok(())),
            ("",            Ok(())),
            ("ws/<room>",   Err(PatternError::PrefixEndsWithParam { name: s("room") })),
            ("ws/<path:p>", Err(PatternError::PathInPrefix { name: s("p") })),
        ];
        for (source, expected) in cases {
            let pattern = Pattern::parse(source).unwrap();
            assert_eq!(pattern.check_prefix(), expected, "{source:?}");
        }
    }

    #[test]
    fn converts_values_in_parameter_order() {
        let pattern = Pattern::parse("ws/<slug:room>/<int:page>/").unwrap();
        let params = pattern.convert(&["lobby", "3"]).unwrap();
        assert_eq!(params[0], Param::text("room", "lobby"));
        assert_eq!(params[1], Param::int("page", "3", 3));
        assert_eq!(pattern.convert(&["lobby", "three"]), None);
    }
}
