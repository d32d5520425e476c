//! Rates, and the token bucket that holds a client to one.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// How often something may happen: `per_second` on average, and up to
/// `burst` at once after a quiet spell (a token bucket that holds `burst`
/// tokens and gains `per_second` of them a second).
///
/// ```
/// use aqueduct_websocket::Rate;
///
/// let rate = Rate::per_second(20).burst(100);
/// assert_eq!(rate.get_per_second(), 20);
/// assert_eq!(rate.get_burst(), 100);
/// assert_eq!(Rate::per_second(5).get_burst(), 5, "one second's worth unless told");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    per_second: u32,
    burst: u32,
}

impl Rate {
    /// `n` a second, with a burst of one second's worth (`n`).
    ///
    /// # Panics
    ///
    /// When `n` is 0: a rate of nothing would refuse everything; to lift
    /// a limit instead, pass `None` to the setting.
    #[track_caller]
    pub fn per_second(n: u32) -> Self {
        assert!(
            n > 0,
            "Rate::per_second(0) would refuse everything; pass `None` to the setting to lift the limit"
        );
        Self {
            per_second: n,
            burst: n,
        }
    }

    /// Allows up to `n` at once after a quiet spell.
    ///
    /// # Panics
    ///
    /// When `n` is 0, which would refuse everything.
    #[track_caller]
    pub fn burst(mut self, n: u32) -> Self {
        assert!(
            n > 0,
            "Rate::burst(0) would refuse everything; use at least 1"
        );
        self.burst = n;
        self
    }

    /// The average allowed, a second.
    pub fn get_per_second(&self) -> u32 {
        self.per_second
    }

    /// How many are allowed at once.
    pub fn get_burst(&self) -> u32 {
        self.burst
    }

    /// The time it takes to earn one token.
    fn interval(&self) -> Duration {
        // At least a nanosecond, so that a rate above a billion a second
        // (a limit lifted by setting it high) still divides.
        (Duration::from_secs(1) / self.per_second).max(Duration::from_nanos(1))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} a second (burst {})", self.per_second, self.burst)
    }
}

/// A token bucket: one token per event, `rate.burst` at most, refilled at
/// `rate.per_second`.
///
/// It reads the clock only when it runs dry, so that the common case (a
/// token in hand) is a decrement: the message limit checks every message
/// a connection receives. The price is leniency: credit for time spent
/// while tokens were left is given when the bucket next runs dry, so over
/// any stretch of time a client may get up to one burst more than an
/// exact bucket would allow, never more.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: u32,
    /// Tokens are earned for the time since this.
    refilled: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: rate.burst,
            refilled: now,
        }
    }

    /// Takes a token if there is one, calling `now` only when there is
    /// none in hand.
    pub fn try_take(&mut self, rate: Rate, now: impl FnOnce() -> Instant) -> bool {
        if self.tokens == 0 {
            self.refill(rate, now());
        }
        let Some(left) = self.tokens.checked_sub(1) else {
            return false;
        };
        self.tokens = left;
        true
    }

    /// Whether the bucket is full at `now`: one that is full remembers
    /// nothing a new bucket would not, so it can be forgotten.
    pub(crate) fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut copy = *self;
        copy.refill(rate, now);
        copy.tokens >= rate.burst
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let interval = rate.interval();
        let elapsed = now.saturating_duration_since(self.refilled);
        let earned = elapsed.as_nanos() / interval.as_nanos();
        let room = rate.burst.saturating_sub(self.tokens);
        if earned >= u128::from(room) {
            self.tokens = rate.burst;
            self.refilled = now;
        } else {
            // `earned` is below `room`, a u32. Keep the part of a token
            // earned so far by moving `refilled` on by whole tokens only.
            let earned = earned as u32;
            self.tokens += earned;
            self.refilled += interval * earned;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes tokens at each (milliseconds since the start, how many) step,
    /// and checks how many were granted.
    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let rate = Rate::per_second(10).burst(3);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        #[rustfmt::skip]
        let steps: &[(u64, u32, u32)] = &[
            (0,     5, 3),   // the burst, then nothing
            (50,    1, 0),   // half a token earned
            (100,   1, 1),   // a whole one (the half was kept)
            (150,   1, 0),
            (10_000, 10, 3), // a long quiet spell earns one burst, no more
            (10_000, 1, 0),
            (10_250, 5, 2),  // two and a half tokens
        ];
        for &(ms, asked, granted) in steps {
            let now = start + Duration::from_millis(ms);
            let got = (0..asked).filter(|_| bucket.try_take(rate, || now)).count();
            assert_eq!(got, granted as usize, "at {ms} ms");
        }
    }

    #[test]
    fn the_clock_is_read_only_when_the_bucket_is_dry() {
        let rate = Rate::per_second(1).burst(2);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        let mut reads = 0;
        for _ in 0..3 {
            bucket.try_take(rate, || {
                reads += 1;
                start
            });
        }
        assert_eq!(reads, 1);
    }

    #[test]
    fn a_bucket_is_full_again_once_the_burst_is_earned_back() {
        let rate = Rate::per_second(2).burst(2);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        assert!(bucket.is_full(rate, start));
        assert!(bucket.try_take(rate, || start));
        assert!(!bucket.is_full(rate, start + Duration::from_millis(499)));
        assert!(bucket.is_full(rate, start + Duration::from_millis(500)));
    }

    #[test]
    fn a_rate_too_high_to_divide_a_second_still_works() {
        let rate = Rate::per_second(u32::MAX).burst(u32::MAX);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        assert!((0..1000).all(|_| bucket.try_take(rate, || start)));
    }

    #[test]
    #[should_panic(expected = "pass `None` to the setting")]
    fn a_rate_of_zero_is_a_setup_mistake() {
        let _ = Rate::per_second(0);
    }
}
