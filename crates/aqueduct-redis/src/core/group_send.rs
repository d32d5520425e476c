//! `group_send`: one message per Redis key, one script per shard.

use std::collections::HashMap;

use aqueduct_core::__private::log_skipped;
use aqueduct_core::{Event, GroupSendReport, LayerError, Overflow};
use futures_util::future::try_join_all;

use super::{Inner, non_local_name, now};
use crate::scripts;

/// The members of a group that share one Redis key: every process-local
/// channel of one process, or one named channel.
struct KeyBatch<'a> {
    key: String,
    /// channels_redis takes the capacity of the first member it meets.
    capacity: usize,
    members: Vec<&'a str>,
}

impl Inner {
    /// Sends `event` to `members`: this process's own channels directly,
    /// every other key once, with the names of its members under
    /// `__asgi_channel__`.
    pub(super) async fn send_to_members(
        &self,
        group: &str,
        members: &[String],
        event: Event,
    ) -> Result<GroupSendReport, LayerError> {
        let mut report = GroupSendReport::default();
        let mut batches: Vec<KeyBatch<'_>> = Vec::new();
        let mut batch_of: HashMap<&str, usize> = HashMap::new();
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); self.shards.len()];
        for member in members {
            if self.is_ours(member) {
                match self.deliver(member, event.clone()).await {
                    Ok(()) => report.delivered += 1,
                    Err(LayerError::ChannelFull { .. }) => report.over_capacity += 1,
                    Err(err) => return Err(err),
                }
                continue;
            }
            let head = non_local_name(member).unwrap_or(member);
            let index = *batch_of.entry(head).or_insert_with(|| {
                by_shard[self.shard_of(head)].push(batches.len());
                batches.push(KeyBatch {
                    key: self.channel_key(head),
                    capacity: self.capacities.for_channel(member),
                    members: Vec::new(),
                });
                batches.len() - 1
            });
            batches[index].members.push(member);
        }
        let sends = by_shard
            .iter()
            .enumerate()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(shard, keys)| self.send_on_shard(shard, keys, &batches, &event));
        for (keys, full) in by_shard
            .iter()
            .filter(|keys| !keys.is_empty())
            .zip(try_join_all(sends).await?)
        {
            for (position, &batch) in keys.iter().enumerate() {
                let count = batches[batch].members.len();
                // The script answers with the 1-based positions of full keys.
                if full.contains(&(position + 1)) {
                    report.over_capacity += count;
                } else {
                    report.delivered += count;
                }
            }
        }
        // The layer drops a full member's message, as channels_redis does.
        log_skipped(group, &report, Overflow::Drop);
        Ok(report)
    }

    /// Runs the group-send script for the batches `keys` on one shard;
    /// returns the 1-based positions of the keys that were full.
    async fn send_on_shard(
        &self,
        shard: usize,
        keys: &[usize],
        batches: &[KeyBatch<'_>],
        event: &Event,
    ) -> Result<Vec<usize>, LayerError> {
        let mut invocation = scripts::GROUP_SEND.prepare_invoke();
        for &batch in keys {
            invocation.key(&batches[batch].key);
        }
        for &batch in keys {
            invocation.arg(self.wire.encode_to(event, &batches[batch].members)?);
        }
        for &batch in keys {
            invocation.arg(batches[batch].capacity);
        }
        let now = now();
        invocation
            .arg(now)
            .arg(self.prune_before(now, self.expiry))
            .arg(self.expiry.as_secs());
        self.shards[shard]
            .run(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await
    }
}
