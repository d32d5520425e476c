//! Per-message delivery records shared by every subscriber.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// For each message the publisher may send, how many subscribers got it and
/// how long the slowest of them waited.
#[derive(Debug)]
pub(super) struct Ledger {
    deliveries: Vec<AtomicU32>,
    slowest_us: Vec<AtomicU64>,
}

impl Ledger {
    /// A ledger for messages `0..messages`.
    pub(super) fn new(messages: usize) -> Self {
        Self {
            deliveries: (0..messages).map(|_| AtomicU32::new(0)).collect(),
            slowest_us: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Records that one subscriber got message `seq` after `latency_us`.
    /// Returns false for a sequence number never sent.
    pub(super) fn record(&self, seq: u64, latency_us: u64) -> bool {
        let Some(index) = usize::try_from(seq)
            .ok()
            .filter(|&i| i < self.deliveries.len())
        else {
            return false;
        };
        self.deliveries[index].fetch_add(1, Ordering::Relaxed);
        self.slowest_us[index].fetch_max(latency_us, Ordering::Relaxed);
        true
    }

    /// For each of the first `sent` messages that anyone got, the time until
    /// the last subscriber that got it had it.
    pub(super) fn last_arrivals_us(&self, sent: u64) -> Vec<u64> {
        let sent = usize::try_from(sent).unwrap_or(usize::MAX);
        self.deliveries
            .iter()
            .zip(&self.slowest_us)
            .take(sent)
            .filter(|(count, _)| count.load(Ordering::Relaxed) > 0)
            .map(|(_, slowest)| slowest.load(Ordering::Relaxed))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_delivery_of_each_message_counts() {
        let ledger = Ledger::new(3);
        assert!(ledger.record(0, 10));
        assert!(ledger.record(0, 30));
        assert!(ledger.record(0, 20));
        assert!(ledger.record(2, 5));
        assert!(!ledger.record(3, 1));
        assert_eq!(ledger.last_arrivals_us(3), vec![30, 5]);
        assert_eq!(ledger.last_arrivals_us(1), vec![30]);
    }
}
