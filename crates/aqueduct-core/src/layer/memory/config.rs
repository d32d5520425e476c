//! The settings of the in-memory layer.

use std::time::Duration;

use crate::layer::Overflow;
use crate::layer::capacity::Capacities;

/// Settings of an [`InMemoryChannelLayer`](super::InMemoryChannelLayer),
/// with Channels' defaults and aqueduct's overflow policy.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_core::{InMemoryChannelLayer, InMemoryConfig, Overflow};
///
/// let layer = InMemoryChannelLayer::with_config(
///     InMemoryConfig::default()
///         .capacity(200)
///         .channel_capacity("broadcast.*", 1000)
///         .expiry(Duration::from_secs(30))
///         .overflow(Overflow::Close),
/// );
/// # drop(layer);
/// ```
#[derive(Clone, Debug)]
pub struct InMemoryConfig {
    pub(super) capacities: Capacities,
    pub(super) expiry: Duration,
    pub(super) group_expiry: Duration,
    pub(super) overflow: Overflow,
}

impl Default for InMemoryConfig {
    fn default() -> Self {
        Self {
            capacities: Capacities::new(100),
            expiry: Duration::from_secs(60),
            group_expiry: Duration::from_secs(86_400),
            overflow: Overflow::Close,
        }
    }
}

impl InMemoryConfig {
    /// Sets how many unread messages a channel holds (default 100).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacities.set_default(capacity);
        self
    }

    /// Sets the capacity of channels whose name matches `pattern`, a glob
    /// (`*` any run of characters, `?` one character). The first pattern
    /// added that matches wins.
    pub fn channel_capacity(mut self, pattern: impl Into<String>, capacity: usize) -> Self {
        self.capacities.push(pattern.into(), capacity);
        self
    }

    /// Uses `capacities`, default and patterns, in place of those set
    /// before: a layer that keeps its own table can hand it on whole.
    ///
    /// ```
    /// use aqueduct_core::{Capacities, InMemoryConfig};
    ///
    /// let mut capacities = Capacities::new(10);
    /// capacities.push("websocket.*".into(), 20);
    /// let config = InMemoryConfig::default().capacities(capacities);
    /// # drop(config);
    /// ```
    pub fn capacities(mut self, capacities: Capacities) -> Self {
        self.capacities = capacities;
        self
    }

    /// Sets how long an unread message lives (default 60 s).
    pub fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    /// Sets how long a group membership lives without being refreshed by
    /// `group_add` (default 86400 s).
    pub fn group_expiry(mut self, group_expiry: Duration) -> Self {
        self.group_expiry = group_expiry;
        self
    }

    /// Sets what `group_send` does for a member whose channel is full
    /// (default [`Overflow::Close`]: that member's reader is told, and a
    /// consumer's connection closes with 4013). `group_send_with` takes
    /// another policy for one send.
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }
}
