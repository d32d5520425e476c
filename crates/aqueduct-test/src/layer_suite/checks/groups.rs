//! Groups: sending to every member, skipping full ones, leaving.

use aqueduct_core::{ChannelLayer, GroupSendReport, Overflow};

use super::super::probe::{both_kinds, drain, fill, group_send, group_send_with, join};
use super::super::{LayerFactory, LayerSettings};

/// Under `Overflow::Drop` (Channels' behaviour), a full member is skipped
/// and counted, the others get the message, and being skipped does not
/// cost the membership.
pub async fn drop_skips_full_members_and_counts_them(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default().capacity(2)).await;
    let [named, local] = both_kinds(&layer, "named").await;
    let [full_named, full_local] = both_kinds(&layer, "full").await;
    let members = [
        named.as_str(),
        local.as_str(),
        full_named.as_str(),
        full_local.as_str(),
    ];
    join(&layer, "room", &members).await;
    assert_eq!(fill(&layer, &full_named).await, 2);
    assert_eq!(fill(&layer, &full_local).await, 2);

    let report = group_send_with(&layer, "room", 7, Overflow::Drop).await;
    let expected = GroupSendReport {
        delivered: 2,
        over_capacity: 2,
    };
    assert_eq!(report, expected);
    for channel in [&named, &local] {
        assert_eq!(drain(&layer, channel).await, [7], "{channel}");
    }
    for channel in [&full_named, &full_local] {
        assert_eq!(
            drain(&layer, channel).await,
            [0, 1],
            "{channel} got nothing"
        );
    }

    let report = group_send_with(&layer, "room", 8, Overflow::Drop).await;
    assert_eq!(report.delivered, 4, "the skipped members are still members");
    for channel in members {
        assert_eq!(drain(&layer, channel).await, [8], "{channel}");
    }
}

/// A group nobody joined is no error: the message reaches nobody.
pub async fn group_send_to_an_unknown_group_reaches_nobody(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let report = group_send(&layer, "nobody_here", 0).await;
    assert_eq!(report, GroupSendReport::default());
}

/// Discarding a channel from a group it is not in, or from a group that
/// does not exist, is no error; a discarded member gets nothing more.
pub async fn group_discard_of_non_members_is_fine(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let [named, local] = both_kinds(&layer, "member").await;
    let discard = |group: &'static str, channel: String| {
        let layer = &layer;
        async move {
            if let Err(err) = layer.group_discard(group, &channel).await {
                panic!("group_discard {group} {channel}: {err}");
            }
        }
    };
    discard("no_such_group", named.clone()).await;
    join(&layer, "room", &[&named, &local]).await;
    discard("room", "stranger".to_owned()).await;
    assert_eq!(group_send(&layer, "room", 1).await.delivered, 2);

    discard("room", named.clone()).await;
    discard("room", named.clone()).await;
    assert_eq!(group_send(&layer, "room", 2).await.delivered, 1);
    assert_eq!(drain(&layer, &named).await, [1]);
    assert_eq!(drain(&layer, &local).await, [1, 2]);
}
