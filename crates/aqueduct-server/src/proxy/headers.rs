//! Reading the client's address and scheme out of `X-Forwarded-For`,
//! `X-Forwarded-Proto` and `Forwarded` (RFC 7239).

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use http::header::{FORWARDED, HeaderName};

use super::TrustedProxies;
use super::forwarded::parse_forwarded;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Who the client is, as the server believes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The client's address; its port is 0 when the proxy gave none.
    pub(crate) client: SocketAddr,
    /// Whether the client used TLS (`https`, `wss`), when a proxy said.
    pub(crate) secure: Option<bool>,
}

/// What the proxy headers of a request from `peer` say: nothing unless
/// `peer` is trusted.
///
/// The client is read from `X-Forwarded-For` if there is one, else from
/// `Forwarded`'s `for=`; the scheme from `X-Forwarded-Proto` if there is
/// one, else from the `proto=` next to that `for=`. A header that does not
/// parse leaves the peer's address (logged at debug).
pub(crate) fn resolve(trusted: &TrustedProxies, peer: SocketAddr, headers: &HeaderMap) -> Resolved {
    let mut resolved = Resolved {
        client: peer,
        secure: None,
    };
    if !trusted.contains(peer.ip()) {
        return resolved;
    }
    let hops = if headers.contains_key(X_FORWARDED_FOR) {
        x_forwarded_for(headers)
    } else if headers.contains_key(FORWARDED) {
        forwarded(headers)
    } else {
        Some(Vec::new())
    };
    let Some(hops) = hops else {
        tracing::debug!(%peer, "ignored proxy headers that do not parse; the client is the peer");
        return resolved;
    };
    let walk = walk(trusted, hops);
    if let Some(client) = walk.client {
        resolved.client = client;
    }
    resolved.secure = match list(headers, &X_FORWARDED_PROTO) {
        // As many proxies may each append their scheme: take the one the
        // outermost trusted proxy wrote, or the leftmost if there are fewer.
        Some(protos) => protos
            .get(protos.len().saturating_sub(1 + walk.skipped))
            .and_then(|proto| is_secure(proto)),
        None => walk.proto.as_deref().and_then(is_secure),
    };
    resolved
}

/// One proxy's record of where it got the request from.
#[derive(Debug, PartialEq, Eq)]
struct Hop<'a> {
    /// The address (`for=` in `Forwarded`), as written.
    node: Cow<'a, str>,
    /// The scheme it was sent with (`proto=`; `Forwarded` only).
    proto: Option<String>,
}

/// Where a walk along the hops stopped.
#[derive(Debug, Default)]
struct Walk {
    /// The client, if the hops named one.
    client: Option<SocketAddr>,
    /// The `proto=` beside it, from `Forwarded`.
    proto: Option<String>,
    /// How many trusted proxies were passed on the way.
    skipped: usize,
}

/// Walks `hops` from the right, the nearest first.
///
/// Each proxy appends the address it got the request from, so the last
/// hop was written by the peer, whom we trust, and each hop to its left
/// is as trustworthy as the proxy that wrote it. Passing over trusted
/// proxies, the first address that is not one is the client: whatever is
/// left of it came from the client, or from proxies we do not know, and
/// may be forged. If every hop is a trusted proxy, the leftmost is the
/// client. A hop that is not an address (`unknown`, an obfuscated name, or
/// garbage) ends the walk with no client: the peer stays the client.
fn walk(trusted: &TrustedProxies, hops: Vec<Hop<'_>>) -> Walk {
    let mut walk = Walk::default();
    for hop in hops.into_iter().rev() {
        let Some(addr) = parse_node(&hop.node) else {
            tracing::debug!(node = %hop.node, "a proxy header names no client address");
            return Walk {
                skipped: walk.skipped,
                ..Walk::default()
            };
        };
        walk.client = Some(addr);
        walk.proto = hop.proto;
        if !trusted.contains(addr.ip()) {
            break;
        }
        walk.skipped += 1;
    }
    walk
}

/// The hops of `X-Forwarded-For`.
fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<Hop<'_>>> {
    let hops = list(headers, &X_FORWARDED_FOR)?;
    Some(
        hops.into_iter()
            .map(|node| Hop {
                node: Cow::Borrowed(node),
                proto: None,
            })
            .collect(),
    )
}

/// The hops of `Forwarded`, one per element; `None` if an element has
/// no `for=`, since the walk could not tell whose it is.
fn forwarded(headers: &HeaderMap) -> Option<Vec<Hop<'static>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(FORWARDED) {
        for element in parse_forwarded(value.to_str().ok()?)? {
            let get = |key: &str| {
                let pair = element
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(key));
                pair.map(|(_, value)| value.clone())
            };
            hops.push(Hop {
                node: Cow::Owned(get("for")?),
                proto: get("proto"),
            });
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// The comma-separated entries of every `name` header, in order; `None`
/// if one is not ASCII text or an entry is empty.
fn list<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Vec<&'a str>> {
    let mut entries = Vec::new();
    for value in headers.get_all(name) {
        for entry in value.to_str().ok()?.split(',').map(str::trim) {
            if entry.is_empty() {
                return None;
            }
            entries.push(entry);
        }
    }
    (!entries.is_empty()).then_some(entries)
}

/// A node as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`, or a bare `2001:db8::1`. An
/// obfuscated port (`_abc`, RFC 7239 section 6.3) reads as 0, as does none.
fn parse_node(node: &str) -> Option<SocketAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip.to_canonical(), 0));
    }
    let (host, port) = match node.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => {
            let (host, port) = node.split_once(':')?;
            (host, Some(port))
        }
    };
    let ip: IpAddr = host.parse().ok()?;
    let port = match port {
        None => 0,
        Some(port) if port.starts_with('_') => 0,
        Some(port) => port.parse().ok()?,
    };
    Some(SocketAddr::new(ip.to_canonical(), port))
}

/// Whether a scheme a proxy reports is a secure one.
fn is_secure(proto: &str) -> Option<bool> {
    match proto.to_ascii_lowercase().as_str() {
        "https" | "wss" => Some(true),
        "http" | "ws" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request header, name and value.
    type Header = (&'static str, &'static str);

    fn resolve_from(trusted: &str, peer: &str, pairs: &[Header]) -> (String, Option<bool>) {
        let trusted = TrustedProxies::parse(trusted).unwrap();
        let mut headers = HeaderMap::new();
        for &(name, value) in pairs {
            headers.append(HeaderName::from_static(name), value.parse().unwrap());
        }
        let resolved = resolve(&trusted, peer.parse().unwrap(), &headers);
        (resolved.client.to_string(), resolved.secure)
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let lo = "127.0.0.1";
        let xff = "x-forwarded-for";
        #[rustfmt::skip]
        let table: &[(&str, &[Header], &str)] = &[
            // trusted,            headers,                                                    client
            (lo,                   &[(xff, "203.0.113.7")],                                    "203.0.113.7:0"),
            (lo,                   &[(xff, "198.51.100.1, 203.0.113.7")],                      "203.0.113.7:0"),
            ("127.0.0.1, 10.0.0.0/8", &[(xff, "198.51.100.1, 203.0.113.7, 10.1.1.1")],        "203.0.113.7:0"),
            ("127.0.0.1, 10.0.0.0/8", &[(xff, "198.51.100.1"), (xff, "203.0.113.7, 10.1.1.1")], "203.0.113.7:0"),
            ("127.0.0.1, 10.0.0.0/8", &[(xff, "10.2.2.2, 10.1.1.1")],                         "10.2.2.2:0"),
            (lo,                   &[(xff, "203.0.113.7:4711")],                               "203.0.113.7:4711"),
            (lo,                   &[(xff, "2001:db8::1")],                                    "[2001:db8::1]:0"),
            (lo,                   &[(xff, "[2001:db8::1]:4711")],                             "[2001:db8::1]:4711"),
            (lo,                   &[(xff, "::ffff:203.0.113.7")],                             "203.0.113.7:0"),
            // An untrusted sender's headers are ignored entirely.
            ("10.0.0.1",           &[(xff, "203.0.113.7")],                                    "127.0.0.1:5000"),
            ("",                   &[(xff, "203.0.113.7")],                                    "127.0.0.1:5000"),
            // Garbage, or a hop that hides the client, leaves the peer.
            (lo,                   &[(xff, "not-an-ip")],                                      "127.0.0.1:5000"),
            (lo,                   &[(xff, "203.0.113.7, unknown")],                           "127.0.0.1:5000"),
            (lo,                   &[(xff, "203.0.113.7,,10.1.1.1")],                          "127.0.0.1:5000"),
            (lo,                   &[(xff, "")],                                               "127.0.0.1:5000"),
            (lo,                   &[],                                                        "127.0.0.1:5000"),
            // Forwarded, when there is no X-Forwarded-For.
            (lo,                   &[("forwarded", "for=203.0.113.7")],                        "203.0.113.7:0"),
            (lo,                   &[("forwarded", "for=\"[2001:db8::1]:4711\"")],             "[2001:db8::1]:4711"),
            (lo,                   &[("forwarded", "for=198.51.100.1, for=\"203.0.113.7:80\"")], "203.0.113.7:80"),
            (lo,                   &[("forwarded", "for=203.0.113.7;by=_proxy")],              "203.0.113.7:0"),
            (lo,                   &[("forwarded", "for=\"[2001:db8::1]:_obf\"")],             "[2001:db8::1]:0"),
            (lo,                   &[("forwarded", "for=_hidden")],                            "127.0.0.1:5000"),
            (lo,                   &[("forwarded", "for=unknown")],                            "127.0.0.1:5000"),
            (lo,                   &[("forwarded", "proto=https")],                            "127.0.0.1:5000"),
            (lo,                   &[("forwarded", "for=\"[2001:db8::1\"")],                   "127.0.0.1:5000"),
            (lo,                   &[(xff, "203.0.113.7"), ("forwarded", "for=198.51.100.1")], "203.0.113.7:0"),
        ];
        for (trusted, headers, client) in table {
            let (got, _) = resolve_from(trusted, "127.0.0.1:5000", headers);
            assert_eq!(got, *client, "trusting {trusted:?}, {headers:?}");
        }
    }

    #[test]
    fn the_scheme_is_the_one_the_outermost_trusted_proxy_saw() {
        let lo = "127.0.0.1, 10.0.0.0/8";
        let (xff, xfp, fwd) = ("x-forwarded-for", "x-forwarded-proto", "forwarded");
        #[rustfmt::skip]
        let table: &[(&str, &[Header], Option<bool>)] = &[
            (lo,          &[(xfp, "https")],                                              Some(true)),
            (lo,          &[(xfp, "HTTPS")],                                              Some(true)),
            (lo,          &[(xfp, "wss")],                                                Some(true)),
            (lo,          &[(xfp, "http")],                                               Some(false)),
            (lo,          &[(xfp, "gopher")],                                             None),
            (lo,          &[],                                                            None),
            (lo,          &[(xff, "203.0.113.7"), (xfp, "https")],                        Some(true)),
            // Two trusted proxies, each appending: the outer one's.
            (lo,          &[(xff, "203.0.113.7, 10.1.1.1"), (xfp, "https, http")],        Some(true)),
            // Two trusted proxies, the inner one overwriting: the one there is.
            (lo,          &[(xff, "203.0.113.7, 10.1.1.1"), (xfp, "http")],               Some(false)),
            (lo,          &[(fwd, "for=203.0.113.7;proto=https")],                        Some(true)),
            (lo,          &[(fwd, "for=203.0.113.7;proto=https, for=10.1.1.1;proto=http")], Some(true)),
            (lo,          &[(fwd, "for=203.0.113.7;proto=https"), (xfp, "http")],         Some(false)),
            // Not trusted: not believed.
            ("10.0.0.1",  &[(xfp, "https")],                                              None),
        ];
        for (trusted, headers, secure) in table {
            let (_, got) = resolve_from(trusted, "127.0.0.1:5000", headers);
            assert_eq!(got, *secure, "trusting {trusted:?}, {headers:?}");
        }
    }
}
