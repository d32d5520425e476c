//! A map split into shards, each behind its own lock and picked by the
//! hash of a name, so one busy channel does not serialize every delivery.

use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

const SHARDS: usize = 16;

type RandomState = std::collections::hash_map::RandomState;

#[derive(Debug, Default)]
pub(crate) struct Sharded<T> {
    hasher: RandomState,
    shards: [Mutex<T>; SHARDS],
}

impl<T> Sharded<T> {
    /// The shard that holds `name`.
    pub(crate) fn lock(&self, name: &str) -> MutexGuard<'_, T> {
        let index = (self.hasher.hash_one(name) as usize) % SHARDS;
        lock(&self.shards[index])
    }

    /// Every shard, one after the other.
    pub(crate) fn each(&self) -> impl Iterator<Item = MutexGuard<'_, T>> {
        self.shards.iter().map(lock)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere mid-update; the map
    // itself is still whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
