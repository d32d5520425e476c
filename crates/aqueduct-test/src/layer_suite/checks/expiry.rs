//! Expiry of unread messages and of group memberships.
//!
//! Expiries are 1 s. A layer counting whole seconds may keep a message or
//! membership up to a second longer, so "expired" is checked at
//! [`EXPIRED`] and "still there" at [`YOUNG`].

use aqueduct_core::ChannelLayer;
use tokio::time::sleep;

use super::super::probe::{
    EXPIRED, EXPIRY, YOUNG, both_kinds, drain, event, fill, group_send, is_full, join, send,
};
use super::super::{LayerFactory, LayerSettings};

/// A message unread past the expiry is gone; younger ones are not.
pub async fn unread_messages_expire(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default().expiry(EXPIRY)).await;
    let channels = both_kinds(&layer, "worker").await;
    for channel in &channels {
        send(&layer, channel, 1).await;
    }
    sleep(EXPIRED).await;
    for channel in &channels {
        send(&layer, channel, 2).await;
    }
    sleep(YOUNG).await;
    for channel in &channels {
        send(&layer, channel, 3).await;
        assert_eq!(drain(&layer, channel).await, [2, 3], "{channel}");
    }
}

/// Expired messages no longer count against the capacity.
pub async fn expired_messages_free_capacity(factory: &impl LayerFactory) {
    let settings = LayerSettings::default().capacity(2).expiry(EXPIRY);
    let layer = factory.make(settings).await;
    let channels = both_kinds(&layer, "slow").await;
    for channel in &channels {
        assert_eq!(fill(&layer, channel).await, 2, "{channel}");
    }
    sleep(EXPIRED).await;
    for channel in &channels {
        send(&layer, channel, 10).await;
        send(&layer, channel, 11).await;
        let refused = layer.send(channel, event(12)).await;
        assert!(is_full(&refused, channel), "{channel}: {refused:?}");
        assert_eq!(drain(&layer, channel).await, [10, 11], "{channel}");
    }
}

/// A layer with a group expiry of [`EXPIRY`], and a channel of each kind
/// that just joined "room".
async fn room_of_both_kinds<F: LayerFactory>(factory: &F) -> (F::Layer, [String; 2]) {
    let settings = LayerSettings::default().group_expiry(EXPIRY);
    let layer = factory.make(settings).await;
    let channels = both_kinds(&layer, "member").await;
    join(&layer, "room", &channels).await;
    (layer, channels)
}

/// A membership not refreshed within the group expiry ends.
pub async fn group_memberships_expire(factory: &impl LayerFactory) {
    let (layer, channels) = room_of_both_kinds(factory).await;
    sleep(YOUNG).await;
    let report = group_send(&layer, "room", 1).await;
    assert_eq!(report.delivered, 2, "still members");

    sleep(EXPIRED).await;
    assert_eq!(group_send(&layer, "room", 2).await.delivered, 0, "expired");
    for channel in &channels {
        assert_eq!(drain(&layer, channel).await, [1], "{channel}");
    }
}

/// `group_add` of a member restarts its group expiry.
pub async fn group_add_refreshes_membership(factory: &impl LayerFactory) {
    let (layer, channels) = room_of_both_kinds(factory).await;
    sleep(YOUNG).await;
    join(&layer, "room", &channels).await;
    // Past the first add's expiry, within the second's.
    sleep(EXPIRY - YOUNG / 2).await;
    assert_eq!(group_send(&layer, "room", 1).await.delivered, 2);
    for channel in &channels {
        assert_eq!(drain(&layer, channel).await, [1], "{channel}");
    }
}
