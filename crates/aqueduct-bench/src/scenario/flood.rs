//! `flood`: one client floods a chat room while another reads as fast as
//! it can (issue 10, item 7): does the reader get every message, or is it
//! told it missed some, and what does the server's memory do meanwhile?

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Dialer, Socket, chat_text};
use crate::error::Error;
use crate::report::Report;
use crate::rss::rss_kib;

/// How often the server's memory is read while the flood runs.
const RSS_EVERY: Duration = Duration::from_millis(10);

/// Options of `flood`: a flooder and a reader in one chat room.
#[derive(Debug, Clone, Args, Serialize)]
pub struct FloodArgs {
    /// WebSocket URL of a chat room, e.g. ws://127.0.0.1:8000/ws/chat/flood/.
    #[arg(long)]
    pub url: String,
    /// Messages the flooder sends.
    #[arg(long, default_value_t = 20_000)]
    pub count: u64,
    /// Bytes of text per message.
    #[arg(long, default_value_t = 4096)]
    pub size: usize,
    /// Process id of the server, whose memory is read throughout.
    #[arg(long)]
    pub pid: u32,
    /// Seconds without a message after which the reader stops waiting.
    #[arg(long, default_value_t = 2.0)]
    pub quiet: f64,
    /// Members that join the room and never read, held to the end: what
    /// they cost the server is in its peak RSS.
    #[arg(long, default_value_t = 1)]
    pub stalled: usize,
}

#[derive(Debug, Serialize)]
struct Figures {
    sent: u64,
    /// Messages the reader got.
    delivered: u64,
    /// Places where the reader's messages skip some: holes nobody told it of.
    gaps: u64,
    /// Sent, but neither delivered nor reported by a close: lost silently.
    lost_silently: u64,
    /// The reader's close code, if the server closed it.
    close_code: Option<u16>,
    /// How many the close's reason says the reader missed.
    close_missed: Option<u64>,
    /// Seconds from the first message sent to the reader's last message
    /// or its close.
    seconds: f64,
    /// Seconds the flooder took to send every message.
    flood_seconds: f64,
    rss_before_kib: u64,
    rss_peak_kib: u64,
    /// Whether the reader ended with every message, or closed and told.
    no_silent_loss: bool,
}

/// What the reader made of the flood.
#[derive(Debug, Default)]
struct Reading {
    delivered: u64,
    /// The number the next message should carry.
    next: u64,
    gaps: u64,
    /// A message came that was not after the one before: FIFO broken.
    out_of_order: bool,
    close: Option<(u16, String)>,
    /// When the last message or the close came.
    last: Option<Instant>,
}

/// Runs `flood` and returns its report.
pub(crate) async fn run(args: &FloodArgs) -> Result<Value, Error> {
    let quiet = super::seconds("quiet", args.quiet)?;
    let connect = |url: &str| {
        let url = url.to_owned();
        async move {
            Dialer::PLAIN
                .connect(&url)
                .await
                .map_err(|reason| Error::Unreachable { url, reason })
        }
    };
    let mut stalled = Vec::with_capacity(args.stalled);
    for _ in 0..args.stalled {
        stalled.push(connect(&args.url).await?);
    }
    let reader = connect(&args.url).await?;
    let (mut sink, mut echoes) = connect(&args.url).await?.split();
    // The flooder reads its own echoes, so that it is no slow reader itself.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = echoes.next().await {} });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let rss_before_kib = rss_kib(args.pid)?;
    let peak = Arc::new(AtomicU64::new(rss_before_kib));
    let sampler = tokio::spawn(sample_rss(args.pid, peak.clone()));
    let started = Instant::now();
    let reading = tokio::spawn(read(reader, args.count, quiet));
    for seq in 0..args.count {
        let text = message(seq, args.size);
        if sink.send(Message::text(text)).await.is_err() {
            break;
        }
    }
    let flood_seconds = round2(started.elapsed().as_secs_f64());
    let reading = reading.await.unwrap_or_default();
    sampler.abort();
    drain.abort();
    let rss_peak_kib = peak.load(Ordering::Relaxed).max(rss_kib(args.pid)?);
    drop(stalled);

    let close_missed = reading
        .close
        .as_ref()
        .and_then(|(_, reason)| missed(reason));
    let told = reading
        .close
        .as_ref()
        .is_some_and(|(code, _)| *code == 4013);
    // Holes before the reader's last message were never told of; after
    // it, a 4013 close tells of what the reader missed up to the close.
    let holes = reading.next - reading.delivered;
    let tail = if told { 0 } else { args.count - reading.next };
    let lost_silently = holes + tail;
    let figures = Figures {
        sent: args.count,
        delivered: reading.delivered,
        gaps: reading.gaps,
        lost_silently,
        close_code: reading.close.as_ref().map(|(code, _)| *code),
        close_missed,
        seconds: round2(
            reading
                .last
                .map_or(0.0, |last| (last - started).as_secs_f64()),
        ),
        flood_seconds,
        rss_before_kib,
        rss_peak_kib,
        no_silent_loss: !reading.out_of_order && lost_silently == 0,
    };
    Ok(Report::new("flood", args, figures).into_value())
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Message `seq`: `{"message": "<seq, eight digits><padding>"}`, `size`
/// bytes of text in all.
fn message(seq: u64, size: usize) -> String {
    let padding = "x".repeat(size.saturating_sub(8));
    format!(r#"{{"message":"{seq:08}{padding}"}}"#)
}

/// Reads until the last message came, one came out of order, the server
/// closed, or nothing came for `quiet`, counting the holes on the way.
async fn read(mut socket: Socket, count: u64, quiet: Duration) -> Reading {
    let mut reading = Reading::default();
    while reading.next < count {
        let Ok(Some(Ok(frame))) = tokio::time::timeout(quiet, socket.next()).await else {
            break;
        };
        match frame {
            Message::Text(text) => {
                let seq = chat_text(&text).and_then(|text| text.get(..8)?.parse::<u64>().ok());
                let Some(seq) = seq.filter(|&seq| seq >= reading.next) else {
                    reading.out_of_order = true;
                    break;
                };
                reading.gaps += u64::from(seq > reading.next);
                reading.next = seq + 1;
                reading.delivered += 1;
                reading.last = Some(Instant::now());
            }
            Message::Close(frame) => {
                reading.close = frame.map(|f| (f.code.into(), f.reason.to_string()));
                reading.last = Some(Instant::now());
                break;
            }
            _ => {}
        }
    }
    reading
}

/// The count in a 4013 close's reason, "missed 37 messages: …".
fn missed(reason: &str) -> Option<u64> {
    reason
        .strip_prefix("missed ")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Keeps the highest resident memory of `pid` seen in `peak`.
async fn sample_rss(pid: u32, peak: Arc<AtomicU64>) {
    loop {
        if let Ok(kib) = rss_kib(pid) {
            peak.fetch_max(kib, Ordering::Relaxed);
        }
        tokio::time::sleep(RSS_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_number_and_size() {
        let text = message(42, 4096);
        let inner = chat_text(&text).unwrap();
        assert_eq!(inner.len(), 4096);
        assert_eq!(&inner[..8], "00000042");
    }

    #[test]
    fn close_reasons() {
        let cases = [
            ("missed 37 messages: the connection fell behind", Some(37)),
            ("server shutting down", None),
            ("", None),
        ];
        for (reason, expected) in cases {
            assert_eq!(missed(reason), expected, "{reason}");
        }
    }
}
