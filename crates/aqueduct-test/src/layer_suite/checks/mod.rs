//! The checks of the suite, one `async fn` each, run by the tests that
//! [`layer_suite!`](crate::layer_suite!) writes.

mod concurrency;
mod delivery;
mod expiry;
mod groups;
mod names;
mod receiving;

pub use concurrency::*;
pub use delivery::*;
pub use expiry::*;
pub use groups::*;
pub use names::*;
pub use receiving::*;
