//! The publisher: one connection in the room, sending on a fixed schedule.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use crate::client::Socket;
use crate::stats::micros;

/// What the publisher did.
#[derive(Debug)]
pub(super) struct Published {
    pub(super) sent: u64,
    /// From the first send to one period after the last: the send window.
    pub(super) window: Duration,
}

/// Sends `total` chat messages `{"message":"<seq>:<send_us>:<padding>"}`,
/// one every `period`, with `send_us` counted from `epoch`.
///
/// The interval bursts to catch up after a stall, so the rate over the run
/// is the one asked for even when a send is slow.
pub(super) async fn publish(
    socket: Socket,
    total: u64,
    period: Duration,
    size: usize,
    epoch: Instant,
) -> Published {
    let (mut sink, mut stream) = socket.split();
    // The publisher is a member of the room too: read its copies off the
    // socket so the server never sees it as a slow client.
    let reader = tokio::spawn(async move { while stream.next().await.is_some() {} });

    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = 0;
    let mut first = None;
    for seq in 0..total {
        ticker.tick().await;
        let send_us = micros(epoch.elapsed());
        first.get_or_insert_with(Instant::now);
        if sink
            .send(Message::text(message(seq, send_us, size)))
            .await
            .is_err()
        {
            eprintln!("fanout: the publisher's connection failed after {sent} messages");
            break;
        }
        sent += 1;
    }
    let window = first.map_or(Duration::ZERO, |first| first.elapsed()) + period;
    reader.abort();
    Published { sent, window }
}

/// A chat message whose text is at least `size` bytes: `seq:send_us:`
/// padded with `x`.
fn message(seq: u64, send_us: u64, size: usize) -> String {
    let head = format!("{seq}:{send_us}:");
    let padding = "x".repeat(size.saturating_sub(head.len()));
    format!(r#"{{"message":"{head}{padding}"}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_padded_to_size() {
        assert_eq!(message(7, 1234, 10), r#"{"message":"7:1234:xxx"}"#);
        assert_eq!(message(7, 1234, 0), r#"{"message":"7:1234:"}"#);
        let text = message(0, 0, 32);
        assert_eq!(text.len(), 32 + r#"{"message":""}"#.len());
    }
}
