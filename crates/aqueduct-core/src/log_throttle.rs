//! A log line at most once a second per kind of event, however often the
//! event happens: refusals under attack must not flood the log.
//!
//! Public only so that aqueduct's other crates share it; it is not part of
//! the API and may change in any release.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long after one line the next may come.
const INTERVAL: Duration = Duration::from_secs(1);

/// Decides which occurrences of one kind of event get a log line: the
/// first, then at most one a second, each saying how many went unlogged
/// since the line before. Every occurrence is counted.
///
/// ```
/// use aqueduct_core::__private::LogThrottle;
///
/// static REFUSED: LogThrottle = LogThrottle::new();
/// if let Some(suppressed) = REFUSED.hit() {
///     tracing::warn!(suppressed, "refused a handshake: too many connections");
/// }
/// ```
#[derive(Debug, Default)]
pub struct LogThrottle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the last line was logged; `None` before the first.
    logged: Option<Instant>,
    /// What was counted since that line and not logged yet.
    pending: u64,
}

impl LogThrottle {
    /// A throttle that has logged nothing yet.
    pub const fn new() -> Self {
        Self {
            state: Mutex::new(State {
                logged: None,
                pending: 0,
            }),
        }
    }

    /// Counts one occurrence. Returns `Some(n)` when this one should be
    /// logged, `n` being how many were not logged since the last line;
    /// `None` when it is counted for the next line instead.
    pub fn hit(&self) -> Option<u64> {
        self.add(1).map(|counted| counted - 1)
    }

    /// Counts `n` more of something (messages missed, say). Returns the
    /// count to log, these `n` included, when a line is due now.
    ///
    /// ```
    /// use aqueduct_core::__private::LogThrottle;
    ///
    /// static MISSED: LogThrottle = LogThrottle::new();
    /// assert_eq!(MISSED.add(3), Some(3), "the first is logged at once");
    /// assert_eq!(MISSED.add(2), None, "then at most once a second");
    /// ```
    pub fn add(&self, n: u64) -> Option<u64> {
        self.add_at(n, Instant::now())
    }

    fn add_at(&self, n: u64, now: Instant) -> Option<u64> {
        // The lock is held for a comparison and two stores: cheaper than
        // the log line it saves, even when every thread is refusing.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.pending += n;
        let due = state
            .logged
            .is_none_or(|logged| now.saturating_duration_since(logged) >= INTERVAL);
        if !due {
            return None;
        }
        state.logged = Some(now);
        Some(std::mem::take(&mut state.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_a_second_counting_the_rest() {
        let throttle = LogThrottle::new();
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        #[rustfmt::skip]
        let table = [
            (0,    Some(0)),  // the first is always logged
            (1,    None),
            (500,  None),
            (999,  None),
            (1000, Some(3)),  // a second later, with the three held back
            (1001, None),
            (5000, Some(1)),
            (9000, Some(0)),  // a quiet spell: nothing was held back
        ];
        for (ms, expected) in table {
            assert_eq!(
                throttle.add_at(1, at(ms)).map(|n| n - 1),
                expected,
                "at {ms} ms"
            );
        }
    }
}
