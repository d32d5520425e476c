//! Server settings and their defaults.

use std::time::Duration;

use hyper_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Limits and timeouts of a [`Server`](crate::Server), with Daphne's defaults
/// where Daphne has one.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Largest message a client may send; past it the connection closes with 1009.
    pub(crate) max_message_size: usize,
    /// Largest frame a client may send; past it the connection closes with 1009.
    pub(crate) max_frame_size: usize,
    /// The read buffer tungstenite keeps per connection, and the most it
    /// takes from the socket wrapper at a time.
    pub(crate) read_buffer_size: usize,
    /// How long a client has to send its request head, and the consumer to
    /// accept or deny the handshake.
    pub(crate) handshake_timeout: Duration,
    /// Ping a client that has sent nothing for a whole interval this long.
    pub(crate) ping_interval: Duration,
    /// Drop a client that has sent nothing for this long after a ping.
    pub(crate) ping_timeout: Duration,
    /// Drop a client that takes longer than this to take one message off
    /// the socket: a client that stops reading cannot hold server memory.
    pub(crate) write_timeout: Duration,
    /// How long to wait for the client's half of a close handshake.
    pub(crate) close_timeout: Duration,
    /// How long a graceful shutdown waits for connections to finish.
    pub(crate) shutdown_timeout: Duration,
}

impl Default for Config {
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
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
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
        let ws = Config::default().websocket();
        // Regression guard: tungstenite's own default is 128 KiB per connection.
        assert!(ws.read_buffer_size <= 256, "{}", ws.read_buffer_size);
        assert_eq!(ws.write_buffer_size, 0);
        assert_eq!(ws.max_message_size, Some(1 << 20));
        assert_eq!(ws.max_frame_size, Some(1 << 20));
    }
}
