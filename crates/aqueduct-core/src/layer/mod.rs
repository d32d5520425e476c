//! Channel layers: how consumers in one process or many talk to each other.

mod capacity;
mod error;
mod memory;
mod names;
mod overflow;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream};

use crate::event::Event;

pub use capacity::Capacities;
pub use error::LayerError;
pub use memory::{InMemoryChannelLayer, InMemoryConfig};
pub use names::{validate_channel_name, validate_group_name};
pub use overflow::Overflow;

/// What a `group_send` did: how many members got the message, and how many
/// missed it because their channel was full.
///
/// Channels drops those silently; aqueduct counts them, and what became
/// of each member that missed it depends on the send's [`Overflow`]
/// policy: under the default its reader is told.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupSendReport {
    /// Members the message was queued for.
    pub delivered: usize,
    /// Members that missed it because their channel was at capacity
    /// (under `Overflow::Wait`, still at capacity when the wait ended).
    pub over_capacity: usize,
}

/// The channel layer spec of Django Channels: named channels and groups.
///
/// Semantics every implementation keeps: delivery is at most once and FIFO
/// for one reader; a channel holds at most its capacity (100 by default) and
/// [`send`](Self::send) fails with [`LayerError::ChannelFull`] past it, while
/// [`group_send`](Self::group_send) counts the full members and treats
/// them as its [`Overflow`] policy says: by default their reader gets
/// [`LayerError::Overflowed`] before anything else; unread messages expire
/// (60 s by default) and group memberships too (86400 s); names are
/// checked with [`validate_channel_name`] and [`validate_group_name`].
///
/// ```
/// use aqueduct_core::{ChannelLayer, Event, InMemoryChannelLayer};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let layer = InMemoryChannelLayer::new();
/// let channel = layer.new_channel("specific").await?;
/// layer.group_add("chat_lobby", &channel).await?;
///
/// let event = Event::new("chat.message", &serde_json::json!({"message": "hi"}))?;
/// let report = layer.group_send("chat_lobby", event).await?;
/// assert_eq!(report.delivered, 1);
///
/// let received = layer.receive(&channel).await?;
/// assert_eq!(received.event_type(), "chat.message");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait ChannelLayer: Send + Sync + 'static {
    /// Makes a new channel name that is unique to this layer, to receive on.
    ///
    /// `prefix` is usually `"specific"`; the name is process-local (it has a `!`).
    async fn new_channel(&self, prefix: &str) -> Result<String, LayerError>;

    /// Sends `event` to one channel.
    async fn send(&self, channel: &str, event: Event) -> Result<(), LayerError>;

    /// Waits for the next event on `channel`. One reader per channel.
    ///
    /// Cancel-safe: dropping the future before it completes loses nothing.
    async fn receive(&self, channel: &str) -> Result<Event, LayerError>;

    /// The events of `channel`, one after another, for its one reader to
    /// hold for as long as it listens.
    ///
    /// A consumer's run loop listens this way, so a layer can keep what
    /// `receive` would look up again for every event. The default calls
    /// [`receive`](Self::receive) in a loop. Cancel-safe as `receive` is:
    /// dropping the stream loses nothing it has not yielded.
    fn receiver<'a>(&'a self, channel: &'a str) -> BoxStream<'a, Result<Event, LayerError>> {
        Box::pin(stream::unfold((), move |()| async move {
            Some((self.receive(channel).await, ()))
        }))
    }

    /// Adds `channel` to `group`, or refreshes its membership.
    async fn group_add(&self, group: &str, channel: &str) -> Result<(), LayerError>;

    /// Removes `channel` from `group`. Removing a non-member is not an error.
    async fn group_discard(&self, group: &str, channel: &str) -> Result<(), LayerError>;

    /// Sends `event` to every member of `group`; a member whose channel is
    /// full is counted, and treated as the layer's [`Overflow`] policy says.
    async fn group_send(&self, group: &str, event: Event) -> Result<GroupSendReport, LayerError>;

    /// Sends `event` to every member of `group`, treating full members as
    /// `overflow` says rather than as the layer's own policy does.
    ///
    /// The default ignores `overflow` and calls
    /// [`group_send`](Self::group_send), so that a layer written before
    /// this method still builds; aqueduct's layers override it, and a
    /// layer that keeps a capacity should too. It logs a WARN (at most
    /// once a second) when it is asked for a policy it cannot keep and
    /// members missed the message.
    async fn group_send_with(
        &self,
        group: &str,
        event: Event,
        overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        let report = self.group_send(group, event).await?;
        if report.over_capacity > 0 && overflow != Overflow::Drop {
            static IGNORED: crate::log_throttle::LogThrottle =
                crate::log_throttle::LogThrottle::new();
            if let Some(missed) = IGNORED.add(report.over_capacity as u64) {
                tracing::warn!(
                    layer = std::any::type_name::<Self>(),
                    group,
                    ?overflow,
                    missed,
                    "this channel layer does not implement group_send_with: \
                     members missed messages under its own policy"
                );
            }
        }
        Ok(report)
    }

    /// Deletes every channel, message and group.
    async fn flush(&self) -> Result<(), LayerError>;

    /// Tells the layer that nobody will read `channel` again, so it can free
    /// what it holds for it. Consumers call this when they end.
    async fn close_channel(&self, channel: &str) -> Result<(), LayerError> {
        let _ = channel;
        Ok(())
    }
}
