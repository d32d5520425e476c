//! A subscriber: one connection in the room, timing every message it gets.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::ledger::Ledger;
use crate::client::Socket;
use crate::stats::micros;

/// Told to every subscriber once the publisher has stopped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Finished {
    /// How many messages were sent.
    pub(super) sent: u64,
    /// When to stop waiting for the rest.
    pub(super) drain_until: Instant,
}

/// Reads messages until it has all `sent` of them or the drain deadline
/// passes, returning the latency of each in microseconds.
pub(super) async fn subscribe(
    mut socket: Socket,
    epoch: Instant,
    ledger: Arc<Ledger>,
    mut finished: watch::Receiver<Option<Finished>>,
) -> Vec<u64> {
    let mut latencies_us = Vec::new();
    let mut done: Option<Finished> = None;
    let drain = tokio::time::sleep_until(Instant::now());
    tokio::pin!(drain);
    loop {
        if done.is_some_and(|done| latencies_us.len() as u64 >= done.sent) {
            break;
        }
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let Some((seq, send_us)) = parse(&text) else { continue };
                    let latency_us = micros(epoch.elapsed()).saturating_sub(send_us);
                    if ledger.record(seq, latency_us) {
                        latencies_us.push(latency_us);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            changed = finished.changed(), if done.is_none() => {
                if changed.is_err() {
                    break;
                }
                done = *finished.borrow_and_update();
                if let Some(done) = done {
                    drain.as_mut().reset(done.drain_until);
                }
            }
            () = &mut drain, if done.is_some() => break,
        }
    }
    latencies_us
}

/// The sequence number and send time in `{"message":"<seq>:<send_us>:…"}`.
fn parse(text: &str) -> Option<(u64, u64)> {
    let body = crate::client::chat_text(text)?;
    let (seq, rest) = body.split_once(':')?;
    let (send_us, _) = rest.split_once(':')?;
    Some((seq.parse().ok()?, send_us.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_publisher_sends() {
        let cases = [
            (r#"{"message":"7:1234:xxx"}"#, Some((7, 1234))),
            (r#"{"message":"0:0:"}"#, Some((0, 0))),
            // Django's json.dumps puts a space after the colon.
            (r#"{"message": "7:1234:xxx"}"#, Some((7, 1234))),
            (r#"{"message":"7:abc:xxx"}"#, None),
            (r#"{"message":"hello"}"#, None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), expected, "{text}");
        }
    }
}
