//! Limits and timeouts of every WebSocket connection, and their defaults.

use std::time::Duration;

use hyper_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Limits and timeouts of WebSocket connections, with Daphne's defaults
/// where Daphne has one.
///
/// aqueduct's `Server` sets these through its own builder methods; an
/// application mounted in another host (axum) takes them from
/// `ProtocolTypeRouter::limits`.
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
