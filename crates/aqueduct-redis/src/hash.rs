//! Which Redis host holds a name, exactly as channels_redis decides.

/// channels_redis's `_consistent_hash`: CRC-32 of the name, kept to 12
/// bits, scaled to the ring. Mixed deployments must agree on it to the
/// bit, so the float division is Python's too.
pub(crate) fn consistent_hash(name: &str, ring_size: usize) -> usize {
    if ring_size == 1 {
        return 0;
    }
    let big = crc32fast::hash(name.as_bytes()) & 0xFFF;
    let divisor = 4096.0 / ring_size as f64;
    (f64::from(big) / divisor) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row was computed by channels_redis.utils._consistent_hash.
    #[test]
    fn agrees_with_channels_redis() {
        let table = [
            ("chat_lobby", 2, 1),
            ("chat_lobby", 3, 1),
            ("chat_lobby", 5, 2),
            ("chat_lobby", 7, 3),
            ("specific.0123456789abcdef!", 2, 0),
            ("specific.0123456789abcdef!", 3, 0),
            ("specific.0123456789abcdef!", 5, 0),
            ("specific.0123456789abcdef!", 7, 0),
            ("specific.0123456789abcdef!0f", 2, 1),
            ("specific.0123456789abcdef!0f", 3, 2),
            ("specific.0123456789abcdef!0f", 5, 4),
            ("specific.0123456789abcdef!0f", 7, 6),
            ("worker", 2, 1),
            ("worker", 3, 2),
            ("worker", 5, 4),
            ("worker", 7, 6),
            ("room_7", 2, 0),
            ("room_7", 3, 1),
            ("room_7", 5, 1),
            ("room_7", 7, 2),
            ("anything", 1, 0),
        ];
        for (name, ring, expected) in table {
            assert_eq!(consistent_hash(name, ring), expected, "{name} over {ring}");
        }
    }
}
