//! URL routing: Django `path()` patterns on a matchit tree.
//!
//! - `pattern.rs` parses `ws/chat/<room_name>/`;
//! - `converter.rs` checks what `<int:id>` and friends accept;
//! - `shape.rs` turns a pattern into a matchit route and tells overlaps;
//! - `table.rs` keeps shapes in tiers so that every route stays reachable;
//! - `routes.rs` holds patterns and their targets on a table, with the
//!   shadowing check: the one route table of `UrlRouter` and `Views`;
//! - `router.rs` is [`UrlRouter`], which tries routes in the order added.

pub(crate) mod converter;
pub(crate) mod pattern;
mod router;
mod routes;
pub(crate) mod shape;
pub(crate) mod table;

#[cfg(feature = "views")]
pub(crate) use routes::{Routes, expect_route};

pub use router::UrlRouter;
#[cfg(feature = "views")]
pub(crate) use router::strip_slash;
