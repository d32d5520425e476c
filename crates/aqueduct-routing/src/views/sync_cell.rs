//! A cell that makes a `Send` value `Sync` by only ever lending it out
//! through `&mut self`.

use std::sync::{Mutex, PoisonError};

/// Holds a value that is `Send` but not `Sync` (a boxed future, a boxed
/// body) inside a type that must be `Sync`.
///
/// A view's future keeps `&ViewRequest` across `.await` whenever it holds
/// a `&str` from the query string; for that future to be `Send`, the
/// request must be `Sync`. The mutex is never locked: `get_mut` proves
/// exclusive access at compile time, so it costs nothing at run time.
#[derive(Debug, Default)]
pub(crate) struct SyncCell<T>(Mutex<T>);

impl<T> SyncCell<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        // Poisoning needs a panic while locked, and it is never locked.
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}
