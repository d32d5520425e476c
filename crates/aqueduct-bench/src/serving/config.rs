//! The WebSocket settings of every server under test.

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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
