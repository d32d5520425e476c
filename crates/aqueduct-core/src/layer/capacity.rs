//! Per-channel capacities chosen by glob pattern (Channels' `channel_capacity`).

/// Channel capacities by name pattern, as Channels' `channel_capacity`:
/// the first pattern that matches a channel wins, else the default.
///
/// Patterns are globs, as Python's `fnmatch`: `*` is any run of
/// characters, `?` any one character. Channel layers hold one; a layer
/// written outside aqueduct can use it to size its channels the same way.
///
/// ```
/// use aqueduct_core::Capacities;
///
/// let mut capacities = Capacities::new(100);
/// capacities.push("http.request".into(), 200);
/// capacities.push("websocket.*".into(), 20);
/// assert_eq!(capacities.for_channel("websocket.send!abc"), 20);
/// assert_eq!(capacities.for_channel("chat"), 100);
/// ```
#[derive(Clone, Debug)]
pub struct Capacities {
    default: usize,
    patterns: Vec<(String, usize)>,
}

impl Capacities {
    /// Makes a table where every channel has capacity `default`.
    pub fn new(default: usize) -> Self {
        Self {
            default,
            patterns: Vec::new(),
        }
    }

    /// Sets the capacity of channels no pattern matches.
    pub fn set_default(&mut self, capacity: usize) {
        self.default = capacity;
    }

    /// Adds a pattern, matched after those added before it.
    pub fn push(&mut self, pattern: String, capacity: usize) {
        self.patterns.push((pattern, capacity));
    }

    /// The capacity of `channel`.
    pub fn for_channel(&self, channel: &str) -> usize {
        self.patterns
            .iter()
            .find(|(pattern, _)| glob_match(pattern.as_bytes(), channel.as_bytes()))
            .map_or(self.default, |&(_, capacity)| capacity)
    }
}

/// Shell-style matching, as Python's `fnmatch`: `*` is any run of
/// characters, `?` any one character; everything else matches itself.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and how much of `name` it has swallowed.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let table = [
            ("http.request", "http.request", true),
            ("http.*", "http.request", true),
            ("http.*", "http", false),
            ("*", "", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*.inmemory!*", "specific.inmemory!xyz", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ];
        for (pattern, name, matched) in table {
            assert_eq!(
                glob_match(pattern.as_bytes(), name.as_bytes()),
                matched,
                "{pattern} ~ {name}"
            );
        }
    }

    #[test]
    fn first_pattern_wins() {
        let mut caps = Capacities::new(100);
        caps.push("chat.*".into(), 5);
        caps.push("chat.big".into(), 500);
        assert_eq!(caps.for_channel("chat.big"), 5);
        assert_eq!(caps.for_channel("other"), 100);
    }
}
