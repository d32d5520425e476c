//! Channel and group names: refused when bad, made valid and unique.

use std::collections::HashSet;

use aqueduct_core::{ChannelLayer, LayerError, validate_channel_name};
use tokio::time::timeout;

use super::super::probe::{QUIET, event};
use super::super::{LayerFactory, LayerSettings};

/// An operation, with a bad name where it takes the kind of name it checks.
#[derive(Clone, Copy, Debug)]
enum Op {
    Send,
    Receive,
    GroupAddChannel,
    GroupAddGroup,
    GroupDiscardChannel,
    GroupDiscardGroup,
    GroupSend,
}

/// Which rules a name is checked against.
#[derive(Clone, Copy, Debug)]
enum NameKind {
    Channel,
    Group,
}

async fn run(layer: &impl ChannelLayer, op: Op, name: &str) -> Result<(), LayerError> {
    match op {
        Op::Send => layer.send(name, event(0)).await,
        Op::Receive => timeout(QUIET, layer.receive(name))
            .await
            .expect("a bad name fails at once instead of waiting")
            .map(drop),
        Op::GroupAddChannel => layer.group_add("room", name).await,
        Op::GroupAddGroup => layer.group_add(name, "chat").await,
        Op::GroupDiscardChannel => layer.group_discard("room", name).await,
        Op::GroupDiscardGroup => layer.group_discard(name, "chat").await,
        Op::GroupSend => layer.group_send(name, event(0)).await.map(drop),
    }
}

/// Every operation refuses a bad channel or group name with the error of
/// its kind, naming the name.
pub async fn every_operation_validates_names(factory: &impl LayerFactory) {
    let too_long = "a".repeat(100);
    let bad_channels = [
        "",
        "has space",
        "two!bangs!",
        "!local",
        "caf\u{e9}",
        "slash/",
        too_long.as_str(),
    ];
    let bad_groups = ["", "has space", "with!bang", "caf\u{e9}", too_long.as_str()];
    let table = [
        (Op::Send, NameKind::Channel),
        (Op::Receive, NameKind::Channel),
        (Op::GroupAddChannel, NameKind::Channel),
        (Op::GroupAddGroup, NameKind::Group),
        (Op::GroupDiscardChannel, NameKind::Channel),
        (Op::GroupDiscardGroup, NameKind::Group),
        (Op::GroupSend, NameKind::Group),
    ];
    let layer = factory.make(LayerSettings::default()).await;
    for (op, kind) in table {
        let bad_names: &[&str] = match kind {
            NameKind::Channel => &bad_channels,
            NameKind::Group => &bad_groups,
        };
        for &bad in bad_names {
            match (kind, run(&layer, op, bad).await) {
                (NameKind::Channel, Err(LayerError::InvalidChannelName { name, .. }))
                | (NameKind::Group, Err(LayerError::InvalidGroupName { name, .. })) => {
                    assert_eq!(name, bad, "{op:?}")
                }
                (_, other) => panic!("{op:?} with {bad:?} gave {other:?}, not a {kind:?} error"),
            }
        }
    }
}

/// `new_channel` names start with the prefix, are valid, process-local
/// (they have a `!`) and never handed out twice.
pub async fn new_channel_names_are_valid_local_and_unique(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let mut seen = HashSet::new();
    for prefix in ["specific", "custom.prefix"] {
        for _ in 0..1000 {
            let name = layer.new_channel(prefix).await.expect("new_channel");
            assert!(
                name.starts_with(prefix),
                "{name} does not start with {prefix}"
            );
            assert!(name.contains('!'), "{name} is not process-local");
            validate_channel_name(&name).unwrap_or_else(|err| panic!("{err}"));
            assert!(seen.insert(name.clone()), "{name} was handed out twice");
        }
    }
}

/// A prefix that would make a bad channel name is refused.
pub async fn new_channel_refuses_prefixes_that_make_bad_names(factory: &impl LayerFactory) {
    let layer = factory.make(LayerSettings::default()).await;
    let long = "a".repeat(99);
    for prefix in ["has space", "a!b", "caf\u{e9}", long.as_str()] {
        let result = layer.new_channel(prefix).await;
        assert!(
            matches!(result, Err(LayerError::InvalidChannelName { .. })),
            "{prefix:?} gave {result:?}"
        );
    }
}
