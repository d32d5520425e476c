//! Limits and timeouts of every WebSocket connection, and their defaults.

use std::time::Duration;

use hyper_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::rate::Rate;

/// Limits and timeouts of WebSocket connections, with Daphne's defaults
/// where Daphne has one.
///
/// aqueduct's `Server` sets these through its own builder methods; an
/// application mounted in another host (axum) takes them from
/// `ProtocolTypeRouter::limits`. There the client's address is unknown, so
/// the limits per client address do not apply; every other one does.
///
/// Daphne has no limit on connections, handshakes or messages; these
/// defaults are meant to stop one abusive client, not to shape normal
/// traffic:
///
/// | setting | default | past it |
/// |---|---|---|
/// | [`max_connections`](Self::max_connections) | 50,000 | `503` |
/// | [`max_connections_per_ip`](Self::max_connections_per_ip) | 1,000 | `429` |
/// | [`handshake_rate_per_ip`](Self::handshake_rate_per_ip) | 20 a second, burst 100 | `429` |
/// | [`message_rate`](Self::message_rate) | 1,000 a second, burst 2,000 | close 1008 |
///
/// ```
/// use std::time::Duration;
/// use aqueduct_websocket::Limits;
///
/// let limits = Limits::new()
///     .max_message_size(64 * 1024)
///     .ping_interval(Duration::from_secs(30));
/// assert_eq!(limits.get_handshake_timeout(), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct Limits {
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) read_buffer_size: usize,
    pub(crate) handshake_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_connections_per_ip: Option<usize>,
    pub(crate) handshake_rate_per_ip: Option<Rate>,
    pub(crate) message_rate: Option<Rate>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: 1 << 20,
            max_frame_size: 1 << 20,
            // tungstenite keeps a read buffer this big for the life of every
            // connection (128 KiB by default), which dominates the memory of
            // an idle server. The socket beneath reads in 8 KiB chunks on the
            // stack (see `LeanIo`), so a small buffer costs no system calls.
            read_buffer_size: 256,
            handshake_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            // Below the 65,536 open files a service is commonly allowed
            // (docs/topics/deployment.md's systemd unit), leaving room for
            // HTTP connections: past it handshakes get a 503 rather than
            // `accept` failing for want of file descriptors. Each idle
            // connection costs a few KiB, so this is a few hundred MiB.
            max_connections: Some(50_000),
            // Generous for an office or a carrier-grade NAT, where many
            // people share one address; still, no one address can hold
            // more than a fiftieth of the server.
            max_connections_per_ip: Some(1_000),
            // A page opens a few WebSockets; 100 at once covers a NAT's
            // clients reconnecting together after a restart, and 20 a
            // second keeps one address to a small share of the handshakes
            // a server can do (thousands a second).
            handshake_rate_per_ip: Some(Rate::per_second(20).burst(100)),
            // Far above what people or a 60 Hz game loop send; what it
            // stops is a flood, or a client stuck in a loop.
            message_rate: Some(Rate::per_second(1_000).burst(2_000)),
        }
    }
}

impl Limits {
    /// The defaults: 1 MiB messages and frames, 5 s handshakes, a ping
    /// after 20 s of silence, a drop 30 s after an unanswered ping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest message a client may send (default 1 MiB); larger
    /// ones close the connection with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets the largest frame a client may send (default 1 MiB); larger ones
    /// close the connection with 1009.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets the read buffer every connection keeps for its life (default
    /// 256 bytes). The socket is read in 8 KiB chunks whatever this is, so
    /// larger mostly costs memory; it saves copying for big messages.
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes;
        self
    }

    /// Sets how long `connect` has to accept or deny, and the upgrade to
    /// complete after (default 5 s). A handshake nobody answers in time
    /// gets HTTP 503.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets how often a connection checks that its client has sent
    /// something (default 20 s): one silent for a whole interval is
    /// pinged, so after one to two intervals of silence.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets how long after a ping a silent client is dropped (default 30 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Sets how long one message may take to go out before the client is
    /// judged too slow and dropped (default 10 s). This bounds what a client
    /// that stops reading can cost: its consumer waits at most this long, and
    /// meanwhile group messages beyond its channel's capacity are counted as
    /// missed, not stored (see the layer's `Overflow` policy).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets how long to wait for the client's half of a close handshake
    /// (default 2 s).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets how many WebSockets may be open at once, counting handshakes
    /// still being decided (default 50,000); a handshake past it gets
    /// HTTP 503. `None` lifts the limit.
    ///
    /// Keep it below the process's open-file limit, so that clients are
    /// told 503 rather than left waiting while `accept` fails.
    pub fn max_connections(mut self, max: impl Into<Option<usize>>) -> Self {
        self.max_connections = max.into();
        self
    }

    /// Sets how many WebSockets one client address may have open at once
    /// (default 1,000); a handshake past it gets HTTP 429. `None` lifts
    /// the limit.
    ///
    /// An IPv6 client's address is its /64 network, since one host
    /// commonly has a whole /64 to pick addresses from. Loopback clients
    /// are not counted: on the same host they are a reverse proxy
    /// speaking for many clients (turn on the server's proxy headers so
    /// that the clients behind it are counted), or tests and benchmarks.
    /// Under a host that does not tell the driver the client's address
    /// (axum) this limit does not apply.
    pub fn max_connections_per_ip(mut self, max: impl Into<Option<usize>>) -> Self {
        self.max_connections_per_ip = max.into();
        self
    }

    /// Sets how fast one client address may open WebSockets (default 20 a
    /// second, with a burst of 100); a handshake past it gets HTTP 429
    /// with `Retry-After: 1`. `None` lifts the limit.
    ///
    /// Addresses are counted as for
    /// [`max_connections_per_ip`](Self::max_connections_per_ip), loopback
    /// excepted, and not at all under a host that does not tell the
    /// client's address.
    pub fn handshake_rate_per_ip(mut self, rate: impl Into<Option<Rate>>) -> Self {
        self.handshake_rate_per_ip = rate.into();
        self
    }

    /// Sets how fast one connection may send messages (default 1,000 a
    /// second, with a burst of 2,000); past it the connection is closed
    /// with 1008 (policy violation) and a reason saying so. `None` lifts
    /// the limit.
    ///
    /// Control frames (ping, pong, close) are not counted.
    pub fn message_rate(mut self, rate: impl Into<Option<Rate>>) -> Self {
        self.message_rate = rate.into();
        self
    }

    /// The largest message a client may send.
    pub fn get_max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// How long a write may wait for a client that does not read.
    pub fn get_write_timeout(&self) -> Duration {
        self.write_timeout
    }

    /// The limit on each connection's message rate, if any.
    pub fn get_message_rate(&self) -> Option<Rate> {
        self.message_rate
    }

    /// The handshake timeout, which a host also uses for the request head.
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    pub(crate) fn websocket(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_size)
            // Write each message straight through: the sink is flushed after
            // every send anyway, and a write buffer would only cost memory.
            .write_buffer_size(0)
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_idle_connections_small_and_match_daphne_limits() {
        let ws = Limits::default().websocket();
        // Regression guard: tungstenite's own default is 128 KiB per connection.
        assert!(ws.read_buffer_size <= 256, "{}", ws.read_buffer_size);
        assert_eq!(ws.write_buffer_size, 0);
        assert_eq!(ws.max_message_size, Some(1 << 20));
        assert_eq!(ws.max_frame_size, Some(1 << 20));
    }
}
