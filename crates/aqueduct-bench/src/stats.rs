//! Percentiles of latency samples.

use std::time::Duration;

/// The 50th, 90th and 99th percentiles of some samples, in their unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Percentiles {
    pub(crate) p50: u64,
    pub(crate) p90: u64,
    pub(crate) p99: u64,
}

/// The percentiles of `samples` by the nearest-rank method; zero for no
/// samples. Sorts `samples`.
pub(crate) fn percentiles(samples: &mut [u64]) -> Percentiles {
    samples.sort_unstable();
    Percentiles {
        p50: nearest_rank(samples, 0.50),
        p90: nearest_rank(samples, 0.90),
        p99: nearest_rank(samples, 0.99),
    }
}

/// The smallest sample at or above fraction `p` of a sorted slice.
fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The middle value of `values`, or the mean of the middle two; zero for
/// none. Sorts `values`.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => 0.0,
        len if len % 2 == 1 => values[middle],
        _ => (values[middle - 1] + values[middle]) / 2.0,
    }
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
        let p = |p50, p90, p99| Percentiles { p50, p90, p99 };
        let cases: [(&[u64], Percentiles); 5] = [
            (&[], p(0, 0, 0)),
            (&[7], p(7, 7, 7)),
            (&[3, 1, 2], p(2, 3, 3)),
            (&[1, 2, 3, 4], p(2, 4, 4)),
            (&[10; 99], p(10, 10, 10)),
        ];
        for (samples, expected) in cases {
            assert_eq!(percentiles(&mut samples.to_vec()), expected, "{samples:?}");
        }
        let mut hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentiles(&mut hundred), p(50, 90, 99));
    }

    #[test]
    fn medians() {
        let cases: [(&[f64], f64); 4] = [
            (&[], 0.0),
            (&[3.0], 3.0),
            (&[5.0, 1.0, 3.0], 3.0),
            (&[4.0, 1.0, 2.0, 3.0], 2.5),
        ];
        for (values, expected) in cases {
            assert_eq!(median(&mut values.to_vec()), expected, "{values:?}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(per_second(100, 4.0), 25.0);
        assert_eq!(per_second(1, 3.0), 0.3);
        assert_eq!(per_second(5, 0.0), 0.0);
    }
}
