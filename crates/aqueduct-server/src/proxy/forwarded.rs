//! The syntax of RFC 7239's `Forwarded` header.

/// RFC 7239 section 4: elements separated by commas, each `name=value`
/// pairs separated by semicolons, a value a token or a quoted string.
pub(super) fn parse_forwarded(header: &str) -> Option<Vec<Vec<(String, String)>>> {
    let mut elements = vec![Vec::new()];
    let mut rest = header.trim_start();
    loop {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return None;
        }
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let end = after.find([';', ',']).unwrap_or(after.len());
                let token = after[..end].trim_end();
                // Laxer than RFC 7239, which wants `:` and `[` quoted: a
                // hand-written proxy config often leaves an IPv6 address
                // or a port unquoted, and nothing else reads this value.
                if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
                    return None;
                }
                (token.to_owned(), &after[end..])
            }
        };
        elements.last_mut()?.push((name.to_owned(), value));
        rest = after.trim_start();
        match rest.as_bytes().first() {
            None => return Some(elements),
            Some(b';') => rest = rest[1..].trim_start(),
            Some(b',') => {
                rest = rest[1..].trim_start();
                elements.push(Vec::new());
            }
            Some(_) => return None,
        }
    }
}

/// The text of a quoted string whose opening quote is gone, and what
/// follows its closing quote.
fn unquote(quoted: &str) -> Option<(String, &str)> {
    let mut text = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((text, &quoted[i + 1..])),
            '\\' => text.push(chars.next()?.1),
            c => text.push(c),
        }
    }
    None
}

/// RFC 9110's token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elements of a header, each a list of (name, value) pairs.
    type Elements = &'static [&'static [(&'static str, &'static str)]];

    #[test]
    fn elements_and_pairs() {
        let pairs = |element: &[(&str, &str)]| {
            let owned = element.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            owned.collect::<Vec<_>>()
        };
        #[rustfmt::skip]
        let table: &[(&str, Option<Elements>)] = &[
            ("for=192.0.2.43",                          Some(&[&[("for", "192.0.2.43")]])),
            ("For=\"[2001:db8:cafe::17]:4711\"",          Some(&[&[("For", "[2001:db8:cafe::17]:4711")]])),
            ("for=192.0.2.60;proto=http;by=203.0.113.43",
                Some(&[&[("for", "192.0.2.60"), ("proto", "http"), ("by", "203.0.113.43")]])),
            ("for=192.0.2.43, for=198.51.100.17 ; proto=https",
                Some(&[&[("for", "192.0.2.43")], &[("for", "198.51.100.17"), ("proto", "https")]])),
            ("for=\"a,b;c\\\"d\"",                         Some(&[&[("for", "a,b;c\"d")]])),
            ("for=2001:db8::1",                         Some(&[&[("for", "2001:db8::1")]])),
            ("for=unknown",                             Some(&[&[("for", "unknown")]])),
            ("",                                        None),
            ("for",                                     None),
            ("for=",                                    None),
            ("for=\"unterminated",                      None),
            ("for=1.2.3.4,,for=5.6.7.8",                None),
            ("for=1.2.3.4 junk",                        None),
            ("f o r=1.2.3.4",                           None),
        ];
        for (header, expected) in table {
            let expected =
                expected.map(|elements| elements.iter().map(|e| pairs(e)).collect::<Vec<_>>());
            assert_eq!(parse_forwarded(header), expected, "{header}");
        }
    }
}
