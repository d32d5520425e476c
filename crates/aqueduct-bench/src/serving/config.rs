//! The WebSocket settings of every server under test.

use aqueduct::{Limits, Rate};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// aqueduct's limits for its servers under test: the defaults, but with
/// the limits against abuse set too high to reach.
///
/// The generator is one address that opens up to 19,000 connections,
/// thousands a second, and echoes on each as fast as it is answered
/// (about 1,000 messages a second a connection on two cores, more on a
/// bigger machine): an abuser by every measure these limits take, and
/// the default message rate would close its connections mid-run. Loopback
/// is not counted per address, but a generator on another host would be.
/// The limits are set high rather than lifted, so the checks still run on
/// every handshake and message and their cost stays in the figures.
///
/// ```
/// use aqueduct::ProtocolTypeRouter;
///
/// // bench-aqueduct-axum's router; bench-aqueduct gives `Server::limits` the same.
/// let app = ProtocolTypeRouter::new().limits(aqueduct_bench::serving::aqueduct_limits());
/// # let _ = app;
/// ```
pub fn aqueduct_limits() -> Limits {
    let unreachable = Rate::per_second(u32::MAX).burst(u32::MAX);
    Limits::new()
        .max_connections(usize::MAX)
        .max_connections_per_ip(usize::MAX)
        .handshake_rate_per_ip(unreachable)
        .message_rate(unreachable)
}

/// The settings aqueduct's server uses by default, so the baselines pay for
/// the same buffers: a 256-byte read buffer, no write buffer, and 1 MiB limits
/// on messages and frames.
///
/// The load generator's clients use them too: tungstenite's default 128 KiB
/// read buffer would cost the generator 2.5 GiB of address space at 19,000
/// connections.
///
/// ```
/// let config = aqueduct_bench::serving::websocket_config();
/// assert_eq!(config.read_buffer_size, 256);
/// ```
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(256)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_buffers_and_limits_as_aqueduct_server() {
        let config = websocket_config();
        assert_eq!(config.read_buffer_size, 256);
        assert_eq!(config.write_buffer_size, 0);
        assert_eq!(config.max_message_size, Some(1 << 20));
        assert_eq!(config.max_frame_size, Some(1 << 20));
    }
}
