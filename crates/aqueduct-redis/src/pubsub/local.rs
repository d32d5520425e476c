//! This process's channels and groups, as channels_redis.pubsub keeps
//! them in `channels` and `groups`: what the layer is subscribed to for,
//! and to whom a message published on a Redis channel goes.
//!
//! Every name here is a Redis pub/sub channel: a channel's own name, or
//! `{prefix}__group__{group}` for a group.

use std::collections::HashMap;
use std::sync::Arc;

use crate::sharded::Sharded;

type Names = HashMap<Arc<str>, Vec<Arc<str>>>;

/// Channels that have a reader here, with the groups each joined; and each
/// group's members here.
///
/// Locks are always taken channel first, then group, so a channel cannot
/// close while it is being added to a group.
#[derive(Debug, Default)]
pub(super) struct Locals {
    /// Channel → the groups it joined.
    channels: Sharded<Names>,
    /// Group → its members in this process.
    groups: Sharded<Names>,
}

/// `group_add` was given a channel that has no reader in this process.
#[derive(Debug)]
pub(super) struct NotOpen;

impl Locals {
    /// Starts delivering to `channel`; false if it was open already.
    pub(super) fn open(&self, channel: &str) -> bool {
        let mut channels = self.channels.lock(channel);
        if channels.contains_key(channel) {
            return false;
        }
        channels.insert(channel.into(), Vec::new());
        true
    }

    pub(super) fn is_open(&self, channel: &str) -> bool {
        self.channels.lock(channel).contains_key(channel)
    }

    /// Stops delivering to `channel` and takes it out of its groups;
    /// returns those groups.
    pub(super) fn close(&self, channel: &str) -> Vec<Arc<str>> {
        let mut channels = self.channels.lock(channel);
        let groups = channels.remove(channel).unwrap_or_default();
        for group in &groups {
            remove(&mut self.groups.lock(group), group, channel, true);
        }
        groups
    }

    /// Adds `channel`, which must be open, to `group`.
    pub(super) fn join(&self, group: &str, channel: &str) -> Result<(), NotOpen> {
        let mut channels = self.channels.lock(channel);
        let joined = channels.get_mut(channel).ok_or(NotOpen)?;
        if joined.iter().any(|name| &**name == group) {
            return Ok(());
        }
        joined.push(group.into());
        let mut groups = self.groups.lock(group);
        groups.entry(group.into()).or_default().push(channel.into());
        Ok(())
    }

    /// Takes `channel` out of `group`; false if it was not in it.
    pub(super) fn leave(&self, group: &str, channel: &str) -> bool {
        let mut channels = self.channels.lock(channel);
        let was_member = remove(&mut channels, channel, group, false);
        remove(&mut self.groups.lock(group), group, channel, true);
        was_member
    }

    /// Whether the layer needs a subscription to `name`: a channel read
    /// here, or a group with a member here.
    pub(super) fn is_wanted(&self, name: &str) -> bool {
        self.is_open(name) || self.groups.lock(name).contains_key(name)
    }

    /// Where a message published on `name` goes: the channel itself if it
    /// is read here, else the group's members here.
    pub(super) fn targets(&self, name: &str) -> Vec<Arc<str>> {
        if let Some((channel, _)) = self.channels.lock(name).get_key_value(name) {
            return vec![channel.clone()];
        }
        let groups = self.groups.lock(name);
        groups.get(name).cloned().unwrap_or_default()
    }

    /// Every name the layer needs a subscription to, that `keep` accepts.
    pub(super) fn wanted(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let mut wanted = Vec::new();
        for shard in self.channels.each().chain(self.groups.each()) {
            let kept = shard.keys().filter(|name| keep(name));
            wanted.extend(kept.map(|name| name.to_string()));
        }
        wanted
    }

    /// Forgets every channel and group.
    pub(super) fn clear(&self) {
        for mut shard in self.channels.each().chain(self.groups.each()) {
            shard.clear();
        }
    }
}

/// Removes `value` from the list under `key`; with `drop_empty`, the key
/// too once its list is empty (a group with no member left here; a
/// channel in no group stays open).
fn remove(map: &mut Names, key: &str, value: &str, drop_empty: bool) -> bool {
    let Some(values) = map.get_mut(key) else {
        return false;
    };
    let before = values.len();
    values.retain(|name| &**name != value);
    let removed = values.len() != before;
    if drop_empty && values.is_empty() {
        map.remove(key);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Arc<str>]) -> Vec<&str> {
        let mut names: Vec<&str> = list.iter().map(|name| &**name).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn messages_go_to_the_channel_or_to_the_group_members_here() {
        let locals = Locals::default();
        assert!(locals.open("a") && locals.open("b") && !locals.open("a"));
        locals.join("g", "a").unwrap();
        locals.join("g", "b").unwrap();
        locals.join("g", "b").unwrap();
        assert!(locals.join("g", "elsewhere").is_err(), "only open channels");
        assert_eq!(names(&locals.targets("a")), ["a"]);
        assert_eq!(names(&locals.targets("g")), ["a", "b"]);
        assert!(locals.targets("nobody").is_empty());
        let mut wanted = locals.wanted(|_| true);
        wanted.sort();
        assert_eq!(wanted, ["a", "b", "g"]);
        assert_eq!(locals.wanted(|name| name == "g"), ["g"]);
    }

    #[test]
    fn a_group_is_wanted_while_a_member_is_here() {
        let locals = Locals::default();
        locals.open("a");
        locals.open("b");
        locals.join("g", "a").unwrap();
        locals.join("g", "b").unwrap();
        assert!(locals.leave("g", "a") && !locals.leave("g", "a"));
        assert!(locals.is_wanted("g"), "b is still in it");
        assert_eq!(names(&locals.close("b")), ["g"]);
        assert!(!locals.is_wanted("g") && !locals.is_wanted("b"));
        assert!(locals.is_open("a"), "leaving a group keeps the channel");
        locals.clear();
        assert!(!locals.is_wanted("a"));
    }
}
