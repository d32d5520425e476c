//! `Routes`: patterns, what each leads to, and the table that finds them.
//!
//! [`UrlRouter`](crate::UrlRouter) and [`Views`](crate::Views) both keep
//! their routes here, so parsing, the shadowing check and Channels' "the
//! earliest route that accepts the path wins" live in one place.

use std::fmt;
use std::sync::Arc;

use super::pattern::Pattern;
use super::shape::Shape;
use super::table::Table;
use crate::error::PatternError;

/// Routes in the order they were added, each with its target `T`.
pub(crate) struct Routes<T> {
    // Shared, so that a clone (one per handshake when a router is a tower
    // `Service`) copies two pointers, not the table.
    routes: Arc<Vec<Route<T>>>,
    table: Arc<Table>,
}

/// One route: its pattern and what it leads to.
#[derive(Clone)]
pub(crate) struct Route<T> {
    pub(crate) pattern: Pattern,
    pub(crate) target: T,
}

impl<T: Clone> Routes<T> {
    /// Adds `target` under the pattern `source`, as a prefix when `prefix`
    /// is set. `hides(earlier, new)` says whether an earlier route whose
    /// pattern matches every path the new one would leaves it unreachable.
    pub(crate) fn add(
        &mut self,
        source: &str,
        target: T,
        prefix: bool,
        hides: impl Fn(&T, &T) -> bool,
    ) -> Result<(), PatternError> {
        let pattern = Pattern::parse(source)?;
        if prefix {
            pattern.check_prefix()?;
        }
        let exact = Shape::new(pattern.parts(), false);
        let shadowing = self
            .table
            .routes_with(&exact)
            .iter()
            .map(|&id| &self.routes[id])
            .find(|earlier| hides(&earlier.target, &target) && earlier.pattern.covers(&pattern));
        if let Some(earlier) = shadowing {
            let by = earlier.pattern.source().to_owned();
            return Err(PatternError::Shadowed { by });
        }
        let id = self.routes.len();
        let table = Arc::make_mut(&mut self.table);
        if prefix {
            table.insert(Shape::new(pattern.parts(), true), id);
        }
        table.insert(exact, id);
        Arc::make_mut(&mut self.routes).push(Route { pattern, target });
        Ok(())
    }
}

impl<T> Routes<T> {
    /// Offers `path`'s matching routes to `try_route` in the order they
    /// were added, with the text of each parameter; returns the first
    /// answer that is not `None`.
    pub(crate) fn first_match<'s, 'p, R>(
        &'s self,
        path: &'p str,
        mut try_route: impl FnMut(&'s Route<T>, &[&'p str]) -> Option<R>,
    ) -> Option<R> {
        self.table
            .first_match(path, |id, values| try_route(&self.routes[id], values))
    }

    /// Whether there are no routes.
    #[cfg(feature = "views")]
    pub(crate) fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// Panics with the message a bad route gets from the panicking builders.
#[track_caller]
pub(crate) fn expect_route<T>(result: Result<T, PatternError>, source: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("Invalid route {source:?}: {err}"),
    }
}

impl<T> Clone for Routes<T> {
    fn clone(&self) -> Self {
        Self {
            routes: self.routes.clone(),
            table: self.table.clone(),
        }
    }
}

impl<T> Default for Routes<T> {
    fn default() -> Self {
        Self {
            routes: Arc::default(),
            table: Arc::default(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Routes<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.routes, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for Route<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} => {:?}", self.pattern.source(), self.target)
    }
}
