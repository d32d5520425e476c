//! Proxy headers: which senders the server believes when they say who
//! the client is.

mod forwarded;
mod headers;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::TrustedProxiesError;

pub(crate) use headers::resolve;

/// The reverse proxies whose `X-Forwarded-For`, `X-Forwarded-Proto` and
/// `Forwarded` headers the server believes: addresses and networks, as
/// uvicorn's `--forwarded-allow-ips` takes them.
///
/// Given to [`Server::proxy_headers`](crate::Server::proxy_headers). A
/// request from any other sender keeps its own address and scheme,
/// whatever headers it carries, since anyone can write them.
///
/// ```
/// use aqueduct_server::TrustedProxies;
///
/// let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8, fd00::/8".parse().unwrap();
/// assert!(trusted.contains("10.1.2.3".parse().unwrap()));
/// assert!(!trusted.contains("203.0.113.7".parse().unwrap()));
/// assert!(TrustedProxies::loopback().contains("::1".parse().unwrap()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies {
    any: bool,
    networks: Vec<Network>,
}

impl TrustedProxies {
    /// Trusts a proxy on the same host: `127.0.0.0/8` and `::1`. The
    /// default, as uvicorn's is `127.0.0.1`.
    pub fn loopback() -> Self {
        Self {
            any: false,
            networks: vec![
                Network::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8),
                Network::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
            ],
        }
    }

    /// Trusts every sender (uvicorn's `*`): only for a server that nothing
    /// but the proxy can reach, such as one behind a load balancer whose
    /// addresses are not known in advance.
    pub fn any() -> Self {
        Self {
            any: true,
            networks: Vec::new(),
        }
    }

    /// Reads a comma-separated list of IP addresses (`10.0.0.1`, `::1`),
    /// networks (`10.0.0.0/8`, `fd00::/8`) and `*` for any sender, as
    /// uvicorn's `--forwarded-allow-ips` and `FORWARDED_ALLOW_IPS` take it.
    /// An empty list trusts nobody.
    pub fn parse(list: &str) -> Result<Self, TrustedProxiesError> {
        let mut trusted = Self {
            any: false,
            networks: Vec::new(),
        };
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                trusted.any = true;
            } else {
                trusted.networks.push(Network::parse(entry)?);
            }
        }
        Ok(trusted)
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.any || self.networks.iter().any(|network| network.contains(ip))
    }
}

impl Default for TrustedProxies {
    /// [`TrustedProxies::loopback`].
    fn default() -> Self {
        Self::loopback()
    }
}

impl FromStr for TrustedProxies {
    type Err = TrustedProxiesError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        Self::parse(list)
    }
}

impl fmt::Display for TrustedProxies {
    /// The list as [`TrustedProxies::parse`] reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let any = self.any.then_some("*".to_owned());
        let networks = self.networks.iter().map(Network::to_string);
        let entries: Vec<_> = any.into_iter().chain(networks).collect();
        f.write_str(&entries.join(", "))
    }
}

/// An address and how many of its leading bits a match must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    /// With the bits past the prefix cleared.
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn new(addr: IpAddr, prefix: u8) -> Self {
        let addr = match addr.to_canonical() {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask32(prefix))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask128(prefix))),
        };
        Self { addr, prefix }
    }

    /// `10.0.0.1` (one address) or `10.0.0.0/8`.
    fn parse(entry: &str) -> Result<Self, TrustedProxiesError> {
        let not_an_address = || TrustedProxiesError::NotAnAddress {
            entry: entry.to_owned(),
        };
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (entry, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| not_an_address())?;
        let bits = if addr.to_canonical().is_ipv4() {
            32
        } else {
            128
        };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| not_an_address())?,
            None => bits,
        };
        if prefix > bits {
            return Err(TrustedProxiesError::PrefixTooLong {
                entry: entry.to_owned(),
            });
        }
        Ok(Self::new(addr, prefix))
    }

    /// Whether `ip` (canonical: an IPv4-mapped address as IPv4) is in it.
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                ip.to_bits() & mask32(self.prefix) == net.to_bits()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                ip.to_bits() & mask128(self.prefix) == net.to_bits()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_uvicorns_forwarded_allow_ips() {
        #[rustfmt::skip]
        let table: &[(&str, &[&str], &[&str])] = &[
            // list                       trusted                                    not trusted
            ("127.0.0.1",                 &["127.0.0.1", "::ffff:127.0.0.1"],        &["127.0.0.2", "::1"]),
            ("10.0.0.0/8, 192.168.1.0/24",&["10.255.0.1", "192.168.1.200"],          &["11.0.0.1", "192.168.2.1"]),
            ("10.1.2.3/8",                &["10.9.9.9"],                             &["11.1.2.3"]),
            ("fd00::/8, ::1",             &["fd12::1", "::1"],                       &["fe80::1", "10.0.0.1"]),
            ("0.0.0.0/0",                 &["203.0.113.7"],                          &["2001:db8::1"]),
            ("*",                         &["203.0.113.7", "2001:db8::1"],           &[]),
            ("",                          &[],                                       &["127.0.0.1"]),
        ];
        for (list, trusted, untrusted) in table {
            let proxies = TrustedProxies::parse(list).unwrap();
            for ip in *trusted {
                assert!(
                    proxies.contains(ip.parse().unwrap()),
                    "{list:?} should trust {ip}"
                );
            }
            for ip in *untrusted {
                assert!(
                    !proxies.contains(ip.parse().unwrap()),
                    "{list:?} should not trust {ip}"
                );
            }
        }
    }

    #[test]
    fn bad_entries_are_named() {
        #[rustfmt::skip]
        let table = [
            ("10.0.0.1, proxy.local", TrustedProxiesError::NotAnAddress { entry: "proxy.local".into() }),
            ("10.0.0.0/x",            TrustedProxiesError::NotAnAddress { entry: "10.0.0.0/x".into() }),
            ("10.0.0.0/33",           TrustedProxiesError::PrefixTooLong { entry: "10.0.0.0/33".into() }),
            ("::/129",                TrustedProxiesError::PrefixTooLong { entry: "::/129".into() }),
        ];
        for (list, expected) in table {
            assert_eq!(TrustedProxies::parse(list).unwrap_err(), expected, "{list}");
        }
    }

    #[test]
    fn a_list_prints_as_it_parses() {
        let trusted = TrustedProxies::parse("*, 10.1.2.3/8, ::1").unwrap();
        assert_eq!(trusted.to_string(), "*, 10.0.0.0/8, ::1/128");
        assert_eq!(
            TrustedProxies::loopback().to_string(),
            "127.0.0.0/8, ::1/128"
        );
    }
}
