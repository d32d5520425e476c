//! What is remembered per client address: open connections and the
//! handshake bucket, in a table whose size an attacker cannot grow.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use tokio::time::Instant;

use crate::rate::{Rate, TokenBucket};

/// The most addresses remembered at once: a few MiB. With the default
/// 50,000 connections every address with one open fits; past it (with a
/// higher or no `max_connections`) new addresses go uncounted.
pub(crate) const MAX_ADDRESSES: usize = 65_536;

/// How long to leave a table full of open connections before looking
/// through it again for addresses to forget.
const SWEEP_PAUSE: Duration = Duration::from_secs(1);

/// A client address as the limits count it: an IPv4 address, or an IPv6
/// /64 network, since a host commonly has a whole /64 to pick from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IpKey(IpAddr);

impl IpKey {
    /// The key of `ip`, or `None` for a loopback address, which the
    /// limits per address do not count (see `Limits::max_connections_per_ip`).
    pub(crate) fn of(ip: IpAddr) -> Option<Self> {
        let ip = ip.to_canonical();
        if ip.is_loopback() {
            return None;
        }
        Some(Self(match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & (!0 << 64))),
        }))
    }
}

impl fmt::Display for IpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => v4.fmt(f),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Why an address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Past the handshake rate.
    TooFast,
    /// Past the open connections allowed.
    TooMany,
}

/// The limits per address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PerIpLimits {
    pub(crate) max_open: Option<usize>,
    pub(crate) rate: Option<Rate>,
}

#[derive(Debug)]
struct Entry {
    open: usize,
    bucket: Option<TokenBucket>,
}

impl Entry {
    /// Whether the entry holds nothing a fresh one would not.
    fn is_forgettable(&self, rate: Option<Rate>, now: Instant) -> bool {
        self.open == 0
            && match (self.bucket, rate) {
                (Some(bucket), Some(rate)) => bucket.is_full(rate, now),
                _ => true,
            }
    }
}

/// Open connections and handshake buckets by address.
///
/// An entry goes as soon as it holds nothing worth keeping: no open
/// connection, and a bucket full again. Entries whose bucket is still
/// refilling stay until the table fills, when they are forgotten (such an
/// address gets a fresh burst). Entries with open connections are never
/// forgotten; when the table is full of them, a new address is let in
/// uncounted, and only the server-wide limit holds for it.
#[derive(Debug)]
pub(crate) struct Addresses {
    limits: PerIpLimits,
    entries: HashMap<IpKey, Entry>,
    capacity: usize,
    next_sweep: Option<Instant>,
}

impl Addresses {
    pub(crate) fn new(limits: PerIpLimits) -> Self {
        Self::with_capacity(limits, MAX_ADDRESSES)
    }

    fn with_capacity(limits: PerIpLimits, capacity: usize) -> Self {
        Self {
            limits,
            entries: HashMap::new(),
            capacity,
            next_sweep: None,
        }
    }

    /// Counts a handshake from `key`: `Ok(true)` when it is admitted and
    /// counted (to be [`release`](Self::release)d), `Ok(false)` when it is
    /// admitted uncounted because the table is full.
    pub(crate) fn admit(&mut self, key: IpKey, now: Instant) -> Result<bool, Refused> {
        if !self.entries.contains_key(&key) && !self.make_room(now) {
            return Ok(false);
        }
        let PerIpLimits { max_open, rate } = self.limits;
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            open: 0,
            bucket: rate.map(|rate| TokenBucket::full(rate, now)),
        });
        // A refused handshake still spends a token: the rate counts
        // attempts, so a client cannot retry its way past it.
        if let (Some(bucket), Some(rate)) = (&mut entry.bucket, rate)
            && !bucket.try_take(rate, || now)
        {
            return Err(Refused::TooFast);
        }
        if max_open.is_some_and(|max| entry.open >= max) {
            return Err(Refused::TooMany);
        }
        entry.open += 1;
        Ok(true)
    }

    /// Ends a connection counted by [`admit`](Self::admit).
    pub(crate) fn release(&mut self, key: IpKey, now: Instant) {
        let rate = self.limits.rate;
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.open = entry.open.saturating_sub(1);
            if entry.is_forgettable(rate, now) {
                self.entries.remove(&key);
            }
        }
    }

    /// Makes room for one more entry if the table is full; returns whether
    /// there is room.
    fn make_room(&mut self, now: Instant) -> bool {
        if self.entries.len() < self.capacity {
            return true;
        }
        if self.next_sweep.is_some_and(|next| now < next) {
            return false;
        }
        let rate = self.limits.rate;
        self.entries
            .retain(|_, entry| !entry.is_forgettable(rate, now));
        if self.entries.len() >= self.capacity {
            // Still full: forget the buckets still refilling too.
            self.entries.retain(|_, entry| entry.open > 0);
        }
        let full = self.entries.len() >= self.capacity;
        // Full of open connections: looking again at once would cost a
        // pass over the table for every new address.
        self.next_sweep = full.then(|| now + SWEEP_PAUSE);
        !full
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> IpKey {
        IpKey::of(ip.parse().unwrap()).unwrap()
    }

    #[test]
    fn addresses_are_keyed_as_the_limits_count_them() {
        #[rustfmt::skip]
        let table = [
            ("203.0.113.7",             Some("203.0.113.7")),
            ("2001:db8:1:2:3:4:5:6",    Some("2001:db8:1:2::/64")),
            ("2001:db8:1:2::ffff",      Some("2001:db8:1:2::/64")),
            ("::ffff:203.0.113.7",      Some("203.0.113.7")),
            ("127.0.0.1",               None),
            ("127.8.9.10",              None),
            ("::1",                     None),
            ("::ffff:127.0.0.1",        None),
        ];
        for (ip, expected) in table {
            let got = IpKey::of(ip.parse().unwrap()).map(|key| key.to_string());
            assert_eq!(got.as_deref(), expected, "{ip}");
        }
    }

    #[test]
    fn open_connections_are_limited_and_forgotten_when_closed() {
        let limits = PerIpLimits {
            max_open: Some(2),
            rate: None,
        };
        let mut table = Addresses::new(limits);
        let now = Instant::now();
        let a = key("198.51.100.1");
        assert_eq!(table.admit(a, now), Ok(true));
        assert_eq!(table.admit(a, now), Ok(true));
        assert_eq!(table.admit(a, now), Err(Refused::TooMany));
        assert_eq!(table.admit(key("198.51.100.2"), now), Ok(true));
        table.release(a, now);
        assert_eq!(table.admit(a, now), Ok(true));
        table.release(a, now);
        table.release(a, now);
        assert_eq!(table.len(), 1, "a's entry is gone, the other's stays");
    }

    #[test]
    fn a_bucket_still_refilling_is_kept_until_full() {
        let rate = Rate::per_second(1).burst(2);
        let limits = PerIpLimits {
            max_open: None,
            rate: Some(rate),
        };
        let mut table = Addresses::new(limits);
        let now = Instant::now();
        let a = key("198.51.100.1");
        assert_eq!(table.admit(a, now), Ok(true));
        assert_eq!(table.admit(a, now), Ok(true));
        assert_eq!(table.admit(a, now), Err(Refused::TooFast));
        table.release(a, now);
        table.release(a, now);
        // Forgetting it now would give the client a fresh burst.
        assert_eq!(table.len(), 1);
        assert_eq!(table.admit(a, now), Err(Refused::TooFast));
        let later = now + Duration::from_secs(2);
        assert_eq!(table.admit(a, later), Ok(true));
        table.release(a, later);
        assert_eq!(table.len(), 1, "its bucket is one short");
        table.admit(a, later).unwrap();
        table.release(a, later + Duration::from_secs(2));
        assert_eq!(table.len(), 0, "full again, so forgotten");
    }

    #[test]
    fn the_table_never_grows_past_its_capacity() {
        let limits = PerIpLimits {
            max_open: Some(10),
            rate: Some(Rate::per_second(1).burst(5)),
        };
        let mut table = Addresses::with_capacity(limits, 4);
        let now = Instant::now();
        let ip = |n: u8| key(&format!("198.51.100.{n}"));
        // Four addresses with connections open fill it.
        for n in [0, 0, 0, 1, 2, 3] {
            assert_eq!(table.admit(ip(n), now), Ok(true));
        }
        // A fifth is let in uncounted: nothing can be forgotten.
        assert_eq!(table.admit(ip(4), now), Ok(false));
        assert_eq!(table.len(), 4);
        // The first address closes all three, with its bucket still
        // refilling: it stays, and the table does not look again at once.
        for _ in 0..3 {
            table.release(ip(0), now);
        }
        assert_eq!(table.len(), 4);
        assert_eq!(table.admit(ip(5), now), Ok(false));
        // After the pause the bucket is forgotten to make room.
        let later = now + SWEEP_PAUSE;
        assert_eq!(table.admit(ip(5), later), Ok(true));
        assert_eq!(table.len(), 4);
        assert_eq!(table.admit(ip(6), later), Ok(false));
    }
}
