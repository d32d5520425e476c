//! This process's channels: which are open, and which groups each joined.
//!
//! A message read off Redis for a channel that has closed is dropped here
//! rather than queued for nobody; and after Redis restarts empty, the
//! memberships recorded here are written back, so consumers that stayed
//! connected through the outage hear their groups again.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

/// Shards keep one busy channel from serializing every delivery.
const SHARDS: usize = 16;

type RandomState = std::collections::hash_map::RandomState;

/// The groups each open channel joined, by channel name.
type Channels = HashMap<Box<str>, Vec<Box<str>>>;

#[derive(Debug, Default)]
pub(crate) struct LocalChannels {
    hasher: RandomState,
    shards: [Mutex<Channels>; SHARDS],
}

impl LocalChannels {
    fn shard(&self, channel: &str) -> MutexGuard<'_, Channels> {
        let index = (self.hasher.hash_one(channel) as usize) % SHARDS;
        // A poisoned lock only means a panic elsewhere mid-update; the map
        // itself is still whole.
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts delivering to `channel`.
    pub(crate) fn open(&self, channel: &str) {
        self.shard(channel).entry(channel.into()).or_default();
    }

    /// Whether messages for `channel` have a reader to go to.
    pub(crate) fn is_open(&self, channel: &str) -> bool {
        self.shard(channel).contains_key(channel)
    }

    /// Stops delivering to `channel` and forgets its groups.
    pub(crate) fn close(&self, channel: &str) {
        self.shard(channel).remove(channel);
    }

    pub(crate) fn joined(&self, channel: &str, group: &str) {
        let mut shard = self.shard(channel);
        let groups = shard.entry(channel.into()).or_default();
        if !groups.iter().any(|joined| &**joined == group) {
            groups.push(group.into());
        }
    }

    pub(crate) fn left(&self, channel: &str, group: &str) {
        if let Some(groups) = self.shard(channel).get_mut(channel) {
            groups.retain(|joined| &**joined != group);
        }
    }

    /// Every (group, channel) membership whose group `keep` selects.
    pub(crate) fn memberships(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for shard in &self.shards {
            let shard = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (channel, groups) in shard.iter() {
                let kept = groups.iter().filter(|group| keep(group));
                all.extend(kept.map(|group| (group.to_string(), channel.to_string())));
            }
        }
        all
    }

    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_what_a_restart_must_restore() {
        let local = LocalChannels::default();
        local.open("a!1");
        local.joined("a!1", "chat");
        local.joined("a!1", "chat");
        local.joined("a!1", "news");
        local.joined("a!2", "chat");
        local.left("a!1", "news");
        let mut all = local.memberships(|_| true);
        all.sort();
        assert_eq!(
            all,
            [("chat".into(), "a!1".into()), ("chat".into(), "a!2".into())]
        );
        assert!(local.memberships(|group| group == "news").is_empty());
        local.close("a!1");
        assert!(!local.is_open("a!1") && local.is_open("a!2"));
        local.clear();
        assert!(!local.is_open("a!2"));
    }
}
