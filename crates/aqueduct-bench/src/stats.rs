//! Percentiles of latency samples.

use std::time::Duration;

/// The 50th and 99th percentiles of `samples`, in the samples' unit, by the
/// nearest-rank method; zero for no samples. Sorts `samples`.
pub(crate) fn p50_p99(samples: &mut [u64]) -> (u64, u64) {
    samples.sort_unstable();
    (nearest_rank(samples, 0.50), nearest_rank(samples, 0.99))
}

/// The smallest sample at or above fraction `p` of a sorted slice.
fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Whole microseconds in `duration`, saturating.
pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// `count / seconds`, rounded to one decimal; zero for an empty window.
pub(crate) fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds <= 0.0 {
        return 0.0;
    }
    round1(count as f64 / seconds)
}

/// Rounds to one decimal, which is all the precision a noisy machine gives.
pub(crate) fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let cases: [(&[u64], (u64, u64)); 5] = [
            (&[], (0, 0)),
            (&[7], (7, 7)),
            (&[3, 1, 2], (2, 3)),
            (&[1, 2, 3, 4], (2, 4)),
            (&[10; 99], (10, 10)),
        ];
        for (samples, expected) in cases {
            assert_eq!(p50_p99(&mut samples.to_vec()), expected, "{samples:?}");
        }
        let mut hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p50_p99(&mut hundred), (50, 99));
    }

    #[test]
    fn rates() {
        assert_eq!(per_second(100, 4.0), 25.0);
        assert_eq!(per_second(1, 3.0), 0.3);
        assert_eq!(per_second(5, 0.0), 0.0);
    }
}
