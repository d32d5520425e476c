//! The channel layer spec of Django Channels as a suite of tests, for
//! every [`ChannelLayer`]: aqueduct's own, and yours.
//!
//! Give [`layer_suite!`](crate::layer_suite!) a factory that makes a fresh,
//! empty layer from [`LayerSettings`]; it writes one `#[test]` per check,
//! so a failure names the behaviour that broke. The checks:
//!
//! - delivery: FIFO and at most once per channel; capacity 100 by
//!   default, `ChannelFull` past it, and a receive makes room;
//!   `channel_capacity` patterns, the first match winning; `close_channel`
//!   touches no other channel;
//! - groups: under `Overflow::Drop`, `group_send_with` skips full members
//!   and counts them in its [`GroupSendReport`](aqueduct_core::GroupSendReport);
//!   a group nobody joined; `group_discard`, of non-members too;
//! - overflow: under the default policy, a full process-local member's
//!   reader gets `LayerError::Overflowed` with the count before anything
//!   else, and the other members the message; `Wait` delivers once the
//!   reader makes room, and tells the member as the default does past its
//!   timeout;
//! - names: every operation refuses bad channel and group names; names
//!   from `new_channel` are valid, process-local and unique;
//! - receiving: a waiting receiver is woken, by `send` and `group_send`;
//!   `receive` is cancel-safe; the `receiver` stream yields queued events,
//!   then later ones, in order; `flush` empties channels and groups, and
//!   channels still work after it;
//! - expiry: unread messages expire and free their place; group
//!   memberships expire, and `group_add` refreshes them;
//! - concurrency: senders racing for the last places never exceed the
//!   capacity, and concurrent senders with one reader lose nothing.
//!
//! Channels are checked in both kinds: named ones such as `"worker"`,
//! which any process may read, and process-local ones made by
//! `new_channel`, which only the layer that made them reads.
//!
//! Expiries are 1 s, so that a layer that counts whole seconds, as Redis
//! does, passes too: the checks allow a message or membership to outlive
//! its expiry by up to a second. Every wait goes through `tokio::time`, so
//! with `clock: paused` an in-process layer runs the suite in no wall time
//! at all; a layer that talks to a server needs `clock: real`.
//!
//! ```
//! use aqueduct_core::{InMemoryChannelLayer, InMemoryConfig};
//! use aqueduct_test::layer_suite::LayerSettings;
//!
//! async fn in_memory(settings: LayerSettings) -> InMemoryChannelLayer {
//!     let mut config = InMemoryConfig::default()
//!         .capacity(settings.capacity)
//!         .expiry(settings.expiry)
//!         .group_expiry(settings.group_expiry);
//!     for (pattern, capacity) in settings.channel_capacities {
//!         config = config.channel_capacity(pattern, capacity);
//!     }
//!     InMemoryChannelLayer::with_config(config)
//! }
//!
//! // In tests/layer_suite.rs: one #[test] per check.
//! aqueduct_test::layer_suite! {
//!     clock: paused,
//!     layer: in_memory,
//! }
//! # fn main() {}
//! ```
//!
//! A layer that needs a service says how to tell whether it is there;
//! when it is not, its checks are skipped loudly (see
//! [`service_available`](crate::service_available)). The factory can be a
//! closure:
//!
//! ```
//! # use aqueduct_core::InMemoryChannelLayer as MyLayer;
//! use aqueduct_test::service_available;
//!
//! fn server_is_up() -> bool {
//!     let up = std::net::TcpStream::connect("127.0.0.1:6379").is_ok();
//!     service_available("Redis at 127.0.0.1:6379", up)
//! }
//!
//! aqueduct_test::layer_suite! {
//!     clock: real,
//!     skip_unless: server_is_up(),
//!     // A real one would use `settings`, and a key prefix of its own.
//!     layer: |_settings| async { MyLayer::new() },
//! }
//! # fn main() {}
//! ```

#[doc(hidden)]
pub mod checks;
mod probe;
mod run;

use std::future::Future;
use std::time::Duration;

use aqueduct_core::ChannelLayer;

#[doc(hidden)]
pub use run::{Clock, Threads, run};

/// The settings a check wants its layer made with, named as Channels'
/// `CONFIG`; the default is Channels' defaults.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_test::layer_suite::LayerSettings;
///
/// let settings = LayerSettings::default();
/// assert_eq!(settings.capacity, 100);
/// assert_eq!(settings.expiry, Duration::from_secs(60));
/// assert_eq!(settings.group_expiry, Duration::from_secs(86_400));
/// assert!(settings.channel_capacities.is_empty());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LayerSettings {
    /// How many unread messages a channel holds.
    pub capacity: usize,
    /// Capacities by channel-name glob, as `channel_capacity`: the first
    /// pattern that matches wins.
    pub channel_capacities: Vec<(String, usize)>,
    /// How long an unread message lives.
    pub expiry: Duration,
    /// How long a group membership lives unless `group_add` refreshes it.
    pub group_expiry: Duration,
}

impl Default for LayerSettings {
    fn default() -> Self {
        Self {
            capacity: 100,
            channel_capacities: Vec::new(),
            expiry: Duration::from_secs(60),
            group_expiry: Duration::from_secs(86_400),
        }
    }
}

impl LayerSettings {
    fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    fn channel_capacity(mut self, pattern: &str, capacity: usize) -> Self {
        self.channel_capacities.push((pattern.to_owned(), capacity));
        self
    }

    fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    fn group_expiry(mut self, group_expiry: Duration) -> Self {
        self.group_expiry = group_expiry;
        self
    }
}

/// Makes a fresh, empty layer for each check: an `async fn` or closure
/// from [`LayerSettings`] to a [`ChannelLayer`].
///
/// Layers a check makes must not share channels or groups with those of
/// other checks, which run at the same time: a layer on a server uses a
/// key prefix of its own each time.
///
/// ```
/// use aqueduct_core::InMemoryChannelLayer;
/// use aqueduct_test::layer_suite::{LayerFactory, LayerSettings};
///
/// fn check(_: impl LayerFactory) {}
/// check(|_settings: LayerSettings| async { InMemoryChannelLayer::new() });
/// ```
pub trait LayerFactory {
    /// The layer made.
    type Layer: ChannelLayer;

    /// Makes a layer with `settings`, holding no channels and no groups.
    fn make(&self, settings: LayerSettings) -> impl Future<Output = Self::Layer>;
}

impl<F, Fut, L> LayerFactory for F
where
    F: Fn(LayerSettings) -> Fut,
    Fut: Future<Output = L>,
    L: ChannelLayer,
{
    type Layer = L;

    fn make(&self, settings: LayerSettings) -> impl Future<Output = L> {
        self(settings)
    }
}

/// Lets closures passed to [`layer_suite!`](crate::layer_suite!) leave
/// their argument's type out.
#[doc(hidden)]
pub fn factory<F, Fut, L>(make: F) -> F
where
    F: Fn(LayerSettings) -> Fut,
    Fut: Future<Output = L>,
    L: ChannelLayer,
{
    make
}

/// Writes the [layer suite](mod@crate::layer_suite), one `#[test]` per check,
/// for the layers a factory makes.
///
/// - `clock: paused` runs each check on tokio's paused clock, so expiry
///   costs no wall time; only for layers that do no I/O. The concurrency
///   checks run on two threads with the real clock either way.
/// - `clock: real` runs every check on two threads with the real clock.
/// - `skip_unless: expr` (optional) is evaluated first in every test; if
///   false, the test returns at once.
/// - `layer: expr` is the [`LayerFactory`]: an `async fn` or a closure
///   taking [`LayerSettings`].
///
/// Invoke it once per module: it defines a test function per check there.
/// See [the module](mod@crate::layer_suite) for an example.
#[macro_export]
macro_rules! layer_suite {
    (clock: $clock:ident, $(skip_unless: $available:expr,)? layer: $make:expr $(,)?) => {
        fn __layer_suite_available() -> bool {
            true $(&& $available)?
        }

        fn __layer_suite_factory() -> impl $crate::layer_suite::LayerFactory {
            $crate::layer_suite::factory($make)
        }

        $crate::layer_suite! {
            @tests $clock, One:
            fifo_and_at_most_once_per_channel,
            default_capacity_is_100_and_a_receive_makes_room,
            channel_capacity_patterns_first_match_wins,
            close_channel_leaves_other_channels_alone,
            drop_skips_full_members_and_counts_them,
            close_tells_a_full_member_first_and_spares_the_others,
            wait_delivers_once_the_reader_makes_room,
            wait_past_its_timeout_tells_the_full_member,
            group_send_to_an_unknown_group_reaches_nobody,
            group_discard_of_non_members_is_fine,
            every_operation_validates_names,
            new_channel_names_are_valid_local_and_unique,
            new_channel_refuses_prefixes_that_make_bad_names,
            flush_empties_channels_and_groups,
            a_receive_pending_across_flush_gets_later_messages,
            a_waiting_receiver_is_woken,
            receive_is_cancel_safe,
            a_long_lived_receive_future_sees_every_message,
            receiver_yields_queued_then_later_events_in_order,
            receiver_with_a_bad_name_is_one_error,
            unread_messages_expire,
            expired_messages_free_capacity,
            group_memberships_expire,
            group_add_refreshes_membership,
        }
        $crate::layer_suite! {
            @tests $clock, Two:
            concurrent_senders_never_exceed_capacity,
            concurrent_senders_and_a_reader_lose_nothing,
        }
    };
    (@clock paused) => { $crate::layer_suite::Clock::Paused };
    (@clock real) => { $crate::layer_suite::Clock::Real };
    (@tests $clock:ident, $threads:ident: $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let factory = __layer_suite_factory();
                $crate::layer_suite::run(
                    $crate::layer_suite!(@clock $clock),
                    $crate::layer_suite::Threads::$threads,
                    __layer_suite_available,
                    $crate::layer_suite::checks::$check(&factory),
                );
            }
        )*
    };
}
