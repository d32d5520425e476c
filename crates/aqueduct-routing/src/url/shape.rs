//! The shape of a pattern: what the matchit tree sees, converters aside.
//!
//! `ws/<int:id>/` and `ws/<slug:name>/` have one shape, `ws/{p0}/`: the
//! tree finds where the parameter is, and the converters decide afterwards.
//! Parameters get positional names, so patterns that differ only in their
//! parameter names share a shape too.

use std::fmt::Write;

use super::converter::Converter;
use super::pattern::Part;

/// A matchit route, with enough of its meaning kept to tell whether two
/// shapes can match the same path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    route: String,
    tokens: Vec<Token>,
}

/// One step of the language a shape matches, read left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// Exactly one character of the class.
    One(Class),
    /// Any number of characters of the class, none included.
    Star(Class),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Char(char),
    /// Anything but `/`: a parameter.
    NotSlash,
    /// Anything: a `<path:…>` parameter or what a nested router matches.
    Any,
}

impl Shape {
    /// The shape of `parts`; with `rest`, followed by a non-empty remainder
    /// for a nested router.
    pub(crate) fn new(parts: &[Part], rest: bool) -> Self {
        let mut shape = Self {
            route: String::new(),
            tokens: Vec::new(),
        };
        let mut index = 0;
        for part in parts {
            match part {
                Part::Static(text) => shape.push_static(text),
                Part::Param(spec) => {
                    shape.push_param(index, spec.converter == Converter::Path);
                    index += 1;
                }
            }
        }
        if rest {
            shape.push_param(index, true);
        }
        shape
    }

    /// The route to insert into matchit.
    pub(crate) fn route(&self) -> &str {
        &self.route
    }

    /// Whether some path matches both shapes.
    ///
    /// Walks both token lists in step (the product of two automata): a
    /// state is a position in each, and a step consumes one character that
    /// both current tokens accept.
    pub(crate) fn overlaps(&self, other: &Shape) -> bool {
        let (a, b) = (&self.tokens, &other.tokens);
        let mut seen = vec![false; (a.len() + 1) * (b.len() + 1)];
        let mut stack = vec![(0, 0)];
        while let Some((i, j)) = stack.pop() {
            let slot = i * (b.len() + 1) + j;
            if std::mem::replace(&mut seen[slot], true) {
                continue;
            }
            if i == a.len() && j == b.len() {
                return true;
            }
            // A star may match nothing.
            if let Some(Token::Star(_)) = a.get(i) {
                stack.push((i + 1, j));
            }
            if let Some(Token::Star(_)) = b.get(j) {
                stack.push((i, j + 1));
            }
            if let (Some(&x), Some(&y)) = (a.get(i), b.get(j))
                && x.class().meets(y.class())
            {
                stack.push((x.next(i), y.next(j)));
            }
        }
        false
    }

    fn push_static(&mut self, text: &str) {
        for c in text.chars() {
            // matchit reads `{` and `}` as parameter braces unless doubled.
            if c == '{' || c == '}' {
                self.route.push(c);
            }
            self.route.push(c);
            self.tokens.push(Token::One(Class::Char(c)));
        }
    }

    fn push_param(&mut self, index: usize, catch_all: bool) {
        let (star, class) = if catch_all {
            ("*", Class::Any)
        } else {
            ("", Class::NotSlash)
        };
        let _ = write!(self.route, "{{{star}p{index}}}");
        // Parameters never match empty text.
        self.tokens.push(Token::One(class));
        self.tokens.push(Token::Star(class));
    }
}

impl Token {
    fn class(self) -> Class {
        match self {
            Self::One(class) | Self::Star(class) => class,
        }
    }

    /// The position after consuming one character at position `i`.
    fn next(self, i: usize) -> usize {
        match self {
            Self::One(_) => i + 1,
            Self::Star(_) => i,
        }
    }
}

impl Class {
    /// Whether some character belongs to both classes.
    fn meets(self, other: Class) -> bool {
        match (self, other) {
            (Self::Char(a), Self::Char(b)) => a == b,
            (Self::Char(c), Self::NotSlash) | (Self::NotSlash, Self::Char(c)) => c != '/',
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::pattern::Pattern;

    fn shape(source: &str) -> Shape {
        match source.strip_suffix("...") {
            Some(prefix) => Shape::new(Pattern::parse(prefix).unwrap().parts(), true),
            None => Shape::new(Pattern::parse(source).unwrap().parts(), false),
        }
    }

    #[test]
    fn shapes_name_parameters_by_position() {
        let cases = [
            ("ws/chat/<room_name>/", "ws/chat/{p0}/"),
            ("ws/<int:a>/<slug:b>/", "ws/{p0}/{p1}/"),
            ("files/<path:rest>", "files/{*p0}"),
            ("ws/<room>/...", "ws/{p0}/{*p1}"),
            ("ws/...", "ws/{*p0}"),
            ("a{b}/<x>", "a{{b}}/{p0}"),
            ("", ""),
        ];
        for (source, expected) in cases {
            assert_eq!(shape(source).route(), expected, "{source:?}");
        }
    }

    #[test]
    fn overlap_means_some_path_matches_both() {
        // `...` marks a nested router's prefix.
        let cases = [
            ("ws/lobby/", "ws/<room>/", true),
            ("ws/<int:id>/", "ws/<slug:name>/", true),
            ("ws/<room>/", "ws/<a>/<b>/", false),
            ("ws/<room>/", "ws/<path:rest>", true),
            ("ws/<room>", "ws/<path:rest>", true),
            ("ws/a/", "ws/b/", false),
            ("ws/", "ws/...", false),
            ("ws/chat/", "ws/...", true),
            ("ws/<room>/", "api/...", false),
            ("img-<id>.png", "<name>.png", true),
            ("img-<id>.png", "<name>.jpg", false),
            ("<a>/x/", "y/<b>/", true),
            ("", "<path:p>", false),
            ("", "...", false),
            ("a", "...", true),
        ];
        for (a, b, expected) in cases {
            assert_eq!(shape(a).overlaps(&shape(b)), expected, "{a:?} vs {b:?}");
            assert_eq!(shape(b).overlaps(&shape(a)), expected, "{b:?} vs {a:?}");
        }
    }
}
