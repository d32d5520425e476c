//! `group_send`: one message per Redis key, one script per shard.

use std::collections::HashMap;
use std::time::Duration;

use aqueduct_core::__private::{LogThrottle, deliver_locally, log_skipped};
use aqueduct_core::{Event, GroupSendReport, LayerError, Overflow};
use futures_util::future::try_join_all;
use tokio::time::Instant;

use super::{Inner, non_local_name, now};
use crate::scripts;

/// The first pause before a `Wait` sends again to keys that were full,
/// doubled after each try up to [`LONGEST_PAUSE`]. A reading process pops
/// its key up to 101 messages at a time, so room comes in bursts: a short
/// first pause catches one soon, and the cap keeps a long wait from
/// costing Redis more than a script every 50 ms per sender.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

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
    /// `__asgi_channel__`; `overflow` says what a full one gets.
    pub(super) async fn send_to_members(
        &self,
        group: &str,
        members: &[String],
        event: Event,
        overflow: Overflow,
    ) -> Result<GroupSendReport, LayerError> {
        let mut locals = Vec::new();
        let mut batches: Vec<KeyBatch<'_>> = Vec::new();
        let mut batch_of: HashMap<&str, usize> = HashMap::new();
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); self.shards.len()];
        for member in members {
            if self.is_ours(member) {
                locals.push(member.as_str());
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
        let mut report = self.send_to_own(&locals, &event, overflow).await;
        log_skipped(Some(group), &report, overflow);

        let full = self
            .send_to_keys(by_shard, &batches, &event, overflow)
            .await?;
        for (index, batch) in batches.iter().enumerate() {
            if full.contains(&index) {
                report.over_capacity += batch.members.len();
            } else {
                report.delivered += batch.members.len();
            }
        }
        if let Some(&last) = full.last() {
            let missed = full.iter().map(|&i| batches[i].members.len()).sum();
            log_unreported(group, &batches[last].key, missed);
        }
        Ok(report)
    }

    /// This process's own members get the message in the process, as
    /// `overflow` says; a member whose channel has closed is skipped.
    async fn send_to_own(
        &self,
        members: &[&str],
        event: &Event,
        overflow: Overflow,
    ) -> GroupSendReport {
        let (open, closed): (Vec<&str>, Vec<&str>) = members
            .iter()
            .partition(|member| self.local.is_open(member));
        if !closed.is_empty() {
            tracing::debug!(
                closed = closed.len(),
                "skipping members whose channels have closed"
            );
        }
        let mut report = deliver_locally(&self.buffers, &open, event, overflow).await;
        // Counted as before: their memberships go when their consumers leave.
        report.delivered += closed.len();
        report
    }

    /// Adds the message to each batch's key; returns the batches whose key
    /// was still full. Under `Wait` those are sent again, after a pause,
    /// until they take it or the timeout passes.
    async fn send_to_keys(
        &self,
        mut pending: Vec<Vec<usize>>,
        batches: &[KeyBatch<'_>],
        event: &Event,
        overflow: Overflow,
    ) -> Result<Vec<usize>, LayerError> {
        let deadline = match overflow {
            // A timeout too long to add is a wait with no end in practice.
            Overflow::Wait(timeout) => Some(
                Instant::now()
                    .checked_add(timeout)
                    .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400)),
            ),
            _ => None,
        };
        let mut pause = FIRST_PAUSE;
        loop {
            let sends = pending
                .iter()
                .enumerate()
                .filter(|(_, keys)| !keys.is_empty())
                .map(|(shard, keys)| self.send_on_shard(shard, keys, batches, event));
            let full_by_shard = try_join_all(sends).await?;
            let mut still = full_by_shard.into_iter();
            for keys in pending.iter_mut().filter(|keys| !keys.is_empty()) {
                let full = still.next().unwrap_or_default();
                // The script answers with the 1-based positions of full keys.
                *keys = full.iter().map(|&position| keys[position - 1]).collect();
            }
            let waited_enough = deadline.is_none_or(|deadline| Instant::now() + pause > deadline);
            if pending.iter().all(Vec::is_empty) || waited_enough {
                return Ok(pending.into_iter().flatten().collect());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
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

/// Logs members that missed a message because another process's Redis
/// key was full: whatever the policy, their reader cannot be told, so the
/// sender says it, at most once a second with the count since the last.
fn log_unreported(group: &str, key: &str, missed: usize) {
    static UNREPORTED: LogThrottle = LogThrottle::new();
    if let Some(missed) = UNREPORTED.add(missed as u64) {
        tracing::warn!(
            group,
            key,
            missed,
            "group_send found Redis keys at capacity: their readers, in other \
             processes, are not keeping up (or are gone) and cannot be told; \
             messages lost"
        );
    }
}
