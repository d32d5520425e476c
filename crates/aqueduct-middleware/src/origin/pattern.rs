//! Origins and the patterns they are checked against, with the rules of
//! Django's `ALLOWED_HOSTS` and Channels' `OriginValidator`.

/// An `Origin` header, parsed: `scheme://host[:port]` (RFC 6454).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    /// Lowercase, IPv6 without its brackets.
    host: String,
    /// The port given, else the scheme's default, if it has one.
    port: Option<u16>,
}

impl Origin {
    /// Parses an `Origin` header; `None` for `null`, a bare host, or
    /// anything else that is no origin, which no pattern but `*` allows.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (scheme, rest) = value.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return None;
        }
        // An origin has no path; a trailing `/` is tolerated, as urlparse does.
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return None;
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return None;
        }
        let port = port.or_else(|| default_port(&scheme));
        Some(Self { scheme, host, port })
    }
}

/// One entry of an allowed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `*`: any origin, and a missing one.
    Any,
    /// `example.com`, `.example.com` or `example.com:8000`: the host (a
    /// leading dot takes its subdomains too) and, if given, the port, for
    /// any scheme.
    Host { host: String, port: Option<u16> },
    /// `https://example.com` or `http://.example.com:8000`: scheme, host
    /// and port must all match, the port defaulting by scheme.
    Origin {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

impl Pattern {
    /// Parses an allowed-list entry; the error says what is wrong with it.
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        let lower = pattern.trim().to_ascii_lowercase();
        if lower == "*" {
            return Ok(Self::Any);
        }
        let bad = |why: &str| format!("{pattern:?} is not an allowed origin or host: {why}");
        if lower.contains('*') {
            return Err(bad(
                "`*` alone allows everything; for a domain and its subdomains write `.example.com`",
            ));
        }
        let (scheme, authority) = match lower.split_once("://") {
            Some((scheme, rest)) => (
                Some(scheme.to_owned()),
                rest.strip_suffix('/').unwrap_or(rest),
            ),
            None => (None, lower.as_str()),
        };
        if authority.contains(['/', '?', '#', '@']) {
            return Err(bad(
                "an origin has no path, query or user; write `https://example.com`",
            ));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| bad("the port is not a number"))?;
        if host.is_empty() || host == "." {
            return Err(bad("it names no host"));
        }
        Ok(match scheme {
            None => Self::Host { host, port },
            Some(scheme) => {
                let port = port.or_else(|| default_port(&scheme));
                Self::Origin { scheme, host, port }
            }
        })
    }

    /// Whether this pattern allows `origin`.
    pub(crate) fn allows(&self, origin: &Origin) -> bool {
        match self {
            Self::Any => true,
            Self::Host { host, port } => {
                is_same_domain(&origin.host, host) && (port.is_none() || *port == origin.port)
            }
            Self::Origin { scheme, host, port } => {
                *scheme == origin.scheme
                    && *port == origin.port
                    && is_same_domain(&origin.host, host)
            }
        }
    }
}

/// Django's `is_same_domain`: a pattern with a leading dot matches the
/// domain and every subdomain; any other must match exactly.
fn is_same_domain(host: &str, pattern: &str) -> bool {
    match pattern.strip_prefix('.') {
        Some(domain) => host == domain || host.ends_with(pattern),
        None => host == pattern,
    }
}

/// Splits `host[:port]` or `[v6][:port]`, lowercasing the host and taking
/// the brackets off an IPv6 address; `None` when the port is no number.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// The port a scheme implies when the origin names none.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], origin: &str) -> bool {
        let Some(origin) = Origin::parse(origin) else {
            return patterns.contains(&"*");
        };
        patterns
            .iter()
            .any(|pattern| Pattern::parse(pattern).unwrap().allows(&origin))
    }

    /// Channels' own cases (tests/security/test_websocket.py), then
    /// Django's `is_same_domain` cases, then ports and IPv6.
    #[test]
    fn origins_against_allowed_lists() {
        #[rustfmt::skip]
        let table: &[(&[&str], &str, bool)] = &[
            // Channels' test_origin_validator.
            (&["allowed-domain.com"],        "http://allowed-domain.com",       true),
            (&["allowed-domain.com"],        "http://bad-domain.com",           false),
            (&[".allowed-domain.com"],       "http://www.allowed-domain.com",   true),
            (&["http://allowed-domain.com"], "http://allowed-domain.com",       true),
            (&["http://allowed-domain.com"], "https://bad-domain.com:443",      false),
            (&[".allowed-domain.com"],       "",                                false),
            (&[".allowed-domain.com"],       "something-invalid",               false),
            (&["*"],                         "http://anything.example:1234",    true),
            (&[],                            "http://allowed-domain.com",       false),
            // Django's is_same_domain.
            (&["example.com"],               "http://example.com",              true),
            (&[".example.com"],              "http://example.com",              true),
            (&[".example.com"],              "http://m.example.com",            true),
            (&[".example.com"],              "http://a.b.example.com",          true),
            (&["example.com"],               "http://www.example.com",          false),
            (&[".example.com"],              "http://badexample.com",           false),
            (&["example.com"],               "http://example.com.evil.net",     false),
            (&["EXAMPLE.com"],               "http://Example.COM",              true),
            // A host pattern takes any scheme and port, unless it names one.
            (&["example.com"],               "https://example.com:8443",        true),
            (&["example.com:8000"],          "http://example.com:8000",         true),
            (&["example.com:8000"],          "http://example.com:9000",         false),
            (&["example.com:80"],            "http://example.com",              true),
            (&["localhost:8000"],            "http://localhost:8000",           true),
            // An origin pattern compares scheme and port, by default port.
            (&["https://example.com"],       "https://example.com:443",         true),
            (&["https://example.com"],       "http://example.com",              false),
            (&["https://example.com:8443"],  "https://example.com:8443",        true),
            (&["https://example.com:8443"],  "https://example.com",             false),
            (&["http://.example.com"],       "http://chat.example.com",         true),
            // IPv6, with and without a port.
            (&["[::1]"],                     "http://[::1]:8000",               true),
            (&["[::1]:8000"],                "http://[::1]:8000",               true),
            (&["[::1]:8000"],                "http://[::2]:8000",               false),
            // What browsers send that is no origin.
            (&["example.com"],               "null",                            false),
            (&["example.com"],               "http://example.com/path",         false),
            (&["example.com"],               "http://user@example.com",         false),
            (&["example.com"],               "http://example.com:port",         false),
            (&["*"],                         "null",                            true),
        ];
        for (patterns, origin, expected) in table {
            assert_eq!(
                allowed(patterns, origin),
                *expected,
                "{patterns:?} {origin:?}"
            );
        }
    }

    #[test]
    fn patterns_that_cannot_mean_what_their_author_wants_are_refused() {
        for (pattern, says) in [
            ("*.example.com", "`.example.com`"),
            ("https://example.com/chat/", "no path"),
            ("example.com:http", "not a number"),
            ("", "no host"),
        ] {
            let err = Pattern::parse(pattern).unwrap_err();
            assert!(err.contains(says), "{pattern:?}: {err}");
        }
    }
}
