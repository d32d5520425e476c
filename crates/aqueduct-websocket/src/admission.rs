//! Whether a handshake may start: the limits on connections, overall and
//! per client address, and on handshakes per address; and the refusals'
//! log, which an attack cannot flood.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aqueduct_core::__private::{LogThrottle, text_response};
use aqueduct_core::Body;
use http::{HeaderValue, Response, StatusCode, header};
use tokio::time::Instant;

use crate::limits::Limits;
use crate::per_ip::{Addresses, IpKey, PerIpLimits, Refused};
use crate::rate::Rate;

/// The connections of one driver, counted against its limits.
#[derive(Debug)]
pub(crate) struct Admission {
    max_connections: Option<usize>,
    per_ip: PerIpLimits,
    /// WebSockets open or being decided.
    open: AtomicUsize,
    addresses: Mutex<Addresses>,
    log: RefusalLog,
}

/// One line a second at most for each kind of refusal.
#[derive(Debug, Default)]
struct RefusalLog {
    full: LogThrottle,
    too_many: LogThrottle,
    too_fast: LogThrottle,
    uncounted: LogThrottle,
    messages: LogThrottle,
}

/// Why a handshake was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `max_connections`: 503.
    ServerFull,
    /// `max_connections_per_ip`: 429.
    TooManyFromAddress,
    /// `handshake_rate_per_ip`: 429, and when to try again.
    TooFastFromAddress,
}

impl Refusal {
    /// What the client is told.
    pub(crate) fn response(self) -> Response<Body> {
        match self {
            Self::ServerFull => text_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is at its WebSocket connection limit; try again later",
            ),
            Self::TooManyFromAddress => text_response(
                StatusCode::TOO_MANY_REQUESTS,
                "too many WebSocket connections from your address",
            ),
            Self::TooFastFromAddress => {
                let body = "too many WebSocket handshakes from your address; slow down";
                let mut response = text_response(StatusCode::TOO_MANY_REQUESTS, body);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }
}

/// One admitted connection: counted until dropped, which the task that
/// runs the connection does when it ends.
#[derive(Debug)]
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    /// The address it is counted against, if any.
    counted: Option<IpKey>,
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(&Limits::default())
    }
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Self {
        let per_ip = PerIpLimits {
            max_open: limits.max_connections_per_ip,
            rate: limits.handshake_rate_per_ip,
        };
        Self {
            max_connections: limits.max_connections,
            per_ip,
            open: AtomicUsize::new(0),
            addresses: Mutex::new(Addresses::new(per_ip)),
            log: RefusalLog::default(),
        }
    }

    /// Admits a handshake from `client` (if the host knows it), or says
    /// why not. Every refusal is counted in the log.
    pub(crate) fn admit(self: &Arc<Self>, client: Option<IpAddr>) -> Result<Ticket, Refusal> {
        let key = client.and_then(IpKey::of);
        let counted = match key {
            Some(key) if self.limits_addresses() => self.admit_address(key)?,
            _ => None,
        };
        // Counted even when refused, and taken back: a plain load and
        // store could let two handshakes through for the last place.
        let open = self.open.fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket {
            admission: self.clone(),
            counted,
        };
        if let Some(limit) = self.max_connections
            && open >= limit
        {
            // Dropping the ticket takes back both counts.
            drop(ticket);
            if let Some(suppressed) = self.log.full.hit() {
                tracing::warn!(
                    client = client.map(tracing::field::display),
                    limit,
                    suppressed,
                    "refused a WebSocket handshake: the server has as many connections as max_connections allows"
                );
            }
            return Err(Refusal::ServerFull);
        }
        Ok(ticket)
    }

    fn limits_addresses(&self) -> bool {
        self.per_ip.max_open.is_some() || self.per_ip.rate.is_some()
    }

    /// Counts a handshake against `key`'s address: the address it is
    /// counted against, `None` if the table had no room for it.
    fn admit_address(&self, key: IpKey) -> Result<Option<IpKey>, Refusal> {
        let admitted = self.addresses().admit(key, Instant::now());
        match admitted {
            Ok(true) => Ok(Some(key)),
            Ok(false) => {
                if let Some(suppressed) = self.log.uncounted.hit() {
                    tracing::warn!(
                        client = %key,
                        suppressed,
                        "too many client addresses to count them all; admitting a handshake not counted per address"
                    );
                }
                Ok(None)
            }
            Err(Refused::TooMany) => {
                let limit = self.per_ip.max_open;
                if let Some(suppressed) = self.log.too_many.hit() {
                    tracing::warn!(
                        client = %key,
                        limit,
                        suppressed,
                        "refused a WebSocket handshake: too many connections from this address (max_connections_per_ip)"
                    );
                }
                Err(Refusal::TooManyFromAddress)
            }
            Err(Refused::TooFast) => {
                let rate = self.per_ip.rate.map(tracing::field::display);
                if let Some(suppressed) = self.log.too_fast.hit() {
                    tracing::warn!(
                        client = %key,
                        rate,
                        suppressed,
                        "refused a WebSocket handshake: too many handshakes from this address (handshake_rate_per_ip)"
                    );
                }
                Err(Refusal::TooFastFromAddress)
            }
        }
    }

    /// Logs, at most once a second, that a connection is being closed
    /// for sending faster than `rate`.
    pub(crate) fn refused_messages(&self, rate: Rate) {
        if let Some(suppressed) = self.log.messages.hit() {
            tracing::warn!(
                rate = %rate,
                suppressed,
                "closing a WebSocket with 1008: the client sent messages faster than message_rate allows"
            );
        }
    }

    fn addresses(&self) -> std::sync::MutexGuard<'_, Addresses> {
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.open.fetch_sub(1, Ordering::AcqRel);
        if let Some(key) = self.counted {
            self.admission.addresses().release(key, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(limits: Limits) -> Arc<Admission> {
        Arc::new(Admission::new(&limits))
    }

    fn status(admitted: &Result<Ticket, Refusal>) -> u16 {
        match admitted {
            Ok(_) => 101,
            Err(refusal) => refusal.response().status().as_u16(),
        }
    }

    #[test]
    fn each_limit_refuses_with_its_status() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let a = ip("198.51.100.1");
        let limits = Limits::new()
            .max_connections(3)
            .max_connections_per_ip(2)
            .handshake_rate_per_ip(Rate::per_second(1).burst(3));
        let admission = admission(limits);
        let first = admission.admit(a);
        let second = admission.admit(a);
        #[rustfmt::skip]
        let table = [
            ("a third from one address",       a,                     429),
            ("another address",                ip("198.51.100.2"),    101),
            ("past the server's limit",        ip("198.51.100.3"),    503),
            ("loopback, past the server's",    ip("127.0.0.1"),       503),
            ("unknown, past the server's",     None,                  503),
        ];
        let mut held = Vec::new();
        for (case, client, expected) in table {
            let admitted = admission.admit(client);
            assert_eq!(status(&admitted), expected, "{case}");
            held.push(admitted);
        }
        drop((first, second, held));
        // `a` spent its burst of three (the refusal too): too fast now.
        let refused = admission.admit(a).unwrap_err().response();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        assert_eq!(admission.open.load(Ordering::Acquire), 0);
    }

    #[test]
    fn loopback_and_unknown_clients_are_not_limited_per_address() {
        let limits = Limits::new()
            .max_connections_per_ip(1)
            .handshake_rate_per_ip(Rate::per_second(1));
        let admission = admission(limits);
        let clients = ["127.0.0.1", "::1"].map(|ip| Some(ip.parse().unwrap()));
        let held: Vec<_> = (0..5)
            .flat_map(|_| clients.iter().chain([&None]))
            .map(|client| admission.admit(*client).expect("not limited"))
            .collect();
        assert_eq!(admission.open.load(Ordering::Acquire), held.len());
    }
}
