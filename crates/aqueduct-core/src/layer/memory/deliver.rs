//! Handing one message to several channels under an overflow policy: what
//! a group send does once it has its members.

use std::time::Duration;

use tokio::time::Instant;

use super::Inner;
use super::queue::{Push, WhenFull};
use crate::event::Event;
use crate::layer::{GroupSendReport, Overflow};

impl Inner {
    /// Offers `event` to `channel`, again to the channel's new queue if
    /// `flush` or `close_channel` retired the one it found.
    pub(super) fn push(
        &self,
        channel: &str,
        event: &Event,
        now: Instant,
        when_full: WhenFull,
    ) -> Push {
        loop {
            let (push, expired) =
                self.queue(channel)
                    .push(event, now, self.config.expiry, when_full);
            if expired {
                self.remove_from_groups(channel);
            }
            if push != Push::Retired {
                return push;
            }
        }
    }

    /// Sends `event` to every one of `channels` under `overflow`.
    ///
    /// Under `Wait`, every channel with room gets the message first; only
    /// then does the send wait for the full ones, all against one deadline,
    /// so that a slow member delays no other member and the whole send
    /// waits at most the timeout.
    pub(super) async fn send_to_channels<S: AsRef<str>>(
        &self,
        channels: &[S],
        event: &Event,
        overflow: Overflow,
        now: Instant,
    ) -> GroupSendReport {
        let when_full = match overflow {
            Overflow::Close => WhenFull::Report,
            _ => WhenFull::Refuse,
        };
        let mut report = GroupSendReport::default();
        let mut full = Vec::new();
        for channel in channels {
            match self.push(channel.as_ref(), event, now, when_full) {
                Push::Queued => report.delivered += 1,
                Push::Full if matches!(overflow, Overflow::Wait(_)) => full.push(channel.as_ref()),
                Push::Full | Push::Missed | Push::Retired => report.over_capacity += 1,
            }
        }
        if let (Overflow::Wait(timeout), false) = (overflow, full.is_empty()) {
            // A timeout too long to add is a wait with no end in practice.
            let deadline = now
                .checked_add(timeout)
                .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
            for channel in full {
                match self.push_when_room(channel, event, deadline).await {
                    Push::Queued => report.delivered += 1,
                    _ => report.over_capacity += 1,
                }
            }
        }
        report
    }

    /// Waits until `channel` has room for `event`, or `deadline`; past it,
    /// reports the miss to the channel's reader as `Overflow::Close` does.
    async fn push_when_room(&self, channel: &str, event: &Event, deadline: Instant) -> Push {
        loop {
            let queue = self.queue(channel);
            let mut wait = queue.wait_for_room();
            wait.enable();
            let (push, expired) =
                queue.push(event, Instant::now(), self.config.expiry, WhenFull::Refuse);
            if expired {
                self.remove_from_groups(channel);
            }
            match push {
                // The queue was retired under us: look the channel up again.
                Push::Retired => continue,
                Push::Full => {}
                done => return done,
            }
            if !wait.until(deadline).await {
                return self.push(channel, event, Instant::now(), WhenFull::Report);
            }
        }
    }
}
