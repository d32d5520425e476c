//! What a group send does for a member whose channel is full.

use std::time::Duration;

/// What a group send does for a member whose channel is full: close that
/// member's connection (the default), drop the message for it, or wait
/// for room.
///
/// Channels drops the message silently (channels_redis#131): a reader that
/// falls behind loses messages and nobody is told. aqueduct's default
/// tells the one connection that missed them instead, and leaves the other
/// members alone:
///
/// | policy | the sender | the full member | the log |
/// |---|---|---|---|
/// | `Close` (default) | goes on at once | its reader hears of the miss before anything else: [`LayerError::Overflowed`](crate::LayerError::Overflowed), with the count; a consumer's connection closes with [`CloseCode::MISSED_MESSAGES`](crate::CloseCode::MISSED_MESSAGES) (4013) | one WARN per connection closed, with the count |
/// | `Drop` | goes on at once | nothing: the message is lost, as in Channels | a WARN at most once a second per process, with the count dropped |
/// | `Wait(timeout)` | waits up to `timeout` for room, holding no lock | gets the message once it has read some; past the timeout, as `Close` | as `Close` |
///
/// Either way [`GroupSendReport::over_capacity`](crate::GroupSendReport)
/// counts the members that missed the message. `Wait` falls back to
/// `Close`, not `Drop`, past its timeout, so that no setting but `Drop`
/// loses a message without telling anyone. A member already told of a
/// miss it has not yet read is not waited for: it is closing.
///
/// A layer has one policy, which [`group_send`](crate::ChannelLayer::group_send)
/// uses (`InMemoryConfig::overflow`, `RedisConfig::overflow`), and
/// [`group_send_with`](crate::ChannelLayer::group_send_with) takes another
/// for one send. [`send`](crate::ChannelLayer::send) to one channel is not
/// affected: it fails with `ChannelFull`, which tells the sender.
///
/// ```
/// use std::time::Duration;
/// use aqueduct_core::{ChannelLayer, Event, InMemoryChannelLayer, InMemoryConfig, LayerError, Overflow};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let layer = InMemoryChannelLayer::with_config(InMemoryConfig::default().capacity(1));
/// let slow = layer.new_channel("specific").await?;
/// layer.group_add("room", &slow).await?;
/// let ping = Event::new("ping", &serde_json::json!({}))?;
///
/// // The first fits; the second finds the channel full and is dropped.
/// layer.group_send_with("room", ping.clone(), Overflow::Drop).await?;
/// let report = layer.group_send_with("room", ping.clone(), Overflow::Drop).await?;
/// assert_eq!(report.over_capacity, 1);
/// // Under the default, the reader is told before it reads anything else.
/// layer.group_send("room", ping).await?;
/// let told = layer.receive(&slow).await;
/// assert!(matches!(told, Err(LayerError::Overflowed { missed: 2, .. })));
///
/// // Waiting: the send returns once the reader makes room, or after 50 ms.
/// let quick = InMemoryChannelLayer::with_config(
///     InMemoryConfig::default().overflow(Overflow::Wait(Duration::from_millis(50))),
/// );
/// # drop(quick);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
// Non-exhaustive so that a policy can be added (dropping the oldest
// message, say) without breaking the layers that match on this one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overflow {
    /// Tell the full member's reader that it missed messages, ahead of
    /// anything queued for it; a consumer's connection closes with 4013.
    /// The default.
    #[default]
    Close,
    /// Skip the full member and count it, as Channels does: the member
    /// never learns of the message.
    Drop,
    /// Wait up to this long for room in each full member's channel, then
    /// treat the members still full as under [`Close`](Self::Close).
    Wait(Duration),
}
