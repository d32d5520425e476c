//! `echo`: closed-loop round trips over many connections.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use futures_util::SinkExt;
use serde::Serialize;
use serde_json::Value;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

use super::{CONNECT_CONCURRENCY, seconds};
use crate::client::{self, Dialer, Socket};
use crate::error::Error;
use crate::report::Report;
use crate::stats::{micros, per_second, percentiles};

/// A reply slower than this ends the connection's loop as an error.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Options of `echo`: each connection sends a message, waits for it to come
/// back, and repeats.
#[derive(Debug, Clone, Args, Serialize)]
pub struct EchoArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8001/ws/echo/.
    #[arg(long)]
    pub url: String,
    /// Connections, each with one message in flight.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Bytes of payload per message.
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds run first and not measured.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Use a chat route as echo: connection i joins room `r<i>` (the URL's
    /// last segment is replaced) and sends `{"message":"<payload>"}`, so every
    /// message goes through the room's broadcast.
    #[arg(long)]
    pub room_per_connection: bool,
    /// For a `wss://` URL: the server's certificate (PEM), trusted alone,
    /// such as a self-signed one.
    #[arg(long, value_name = "PATH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Figures {
    messages: u64,
    msgs_per_sec: f64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    errors: u64,
    /// Round trips completed in all, warm-up included: what the server
    /// (and a channel layer's Redis) did work for.
    round_trips_total: u64,
}

/// What one connection's loop measured.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    round_trips: u64,
}

/// Runs `echo` and returns its report.
pub(crate) async fn run(args: &EchoArgs) -> Result<Value, Error> {
    let warmup = seconds("warmup", args.warmup)?;
    let duration = seconds("duration", args.duration)?;
    let urls: Vec<String> = (0..args.connections)
        .map(|index| match args.room_per_connection {
            true => client::room_url(&args.url, index),
            false => args.url.clone(),
        })
        .collect();
    let Some(first) = urls.first() else {
        return Err(Error::Usage("--connections must be at least 1".into()));
    };
    let dialer = match &args.tls_ca {
        Some(certificate) => Dialer::trusting(certificate)?,
        None => Dialer::PLAIN,
    };
    dialer.probe(first).await?;
    let opened = dialer.connect_many("echo", urls, CONNECT_CONCURRENCY).await;
    if let Some(reason) = opened.first_error {
        let url = args.url.clone();
        return Err(Error::Unreachable { url, reason });
    }

    eprintln!(
        "echo: {} connections, warm-up {warmup:?}, measuring {duration:?}",
        opened.sockets.len()
    );
    let message = payload(args.size, args.room_per_connection);
    let measure_from = Instant::now() + warmup;
    let until = measure_from + duration;
    let loops: Vec<_> = opened
        .sockets
        .into_iter()
        .map(|socket| tokio::spawn(round_trips(socket, message.clone(), measure_from, until)))
        .collect();
    let mut total = Tally::default();
    for tally in loops {
        let tally = tally.await.unwrap_or_default();
        total.latencies_us.extend(tally.latencies_us);
        total.errors += tally.errors;
        total.round_trips += tally.round_trips;
    }

    let messages = total.latencies_us.len() as u64;
    let latency = percentiles(&mut total.latencies_us);
    let figures = Figures {
        messages,
        msgs_per_sec: per_second(messages, duration.as_secs_f64()),
        p50_us: latency.p50,
        p90_us: latency.p90,
        p99_us: latency.p99,
        errors: total.errors,
        round_trips_total: total.round_trips,
    };
    Ok(Report::new("echo", args, figures).into_value())
}

/// The message every connection sends: `size` bytes of text, wrapped as a
/// chat message when the route is a chat room.
fn payload(size: usize, as_chat: bool) -> Message {
    let text = "x".repeat(size);
    match as_chat {
        true => Message::text(format!(r#"{{"message":"{text}"}}"#)),
        false => Message::text(text),
    }
}

/// Sends, waits for the echo, and repeats until `until`; counts only round
/// trips that started and ended inside the measured window.
async fn round_trips(
    mut socket: Socket,
    message: Message,
    measure_from: Instant,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let sent_text = message.to_text().unwrap_or_default().to_owned();
    while Instant::now() < until {
        let sent = Instant::now();
        if socket.send(message.clone()).await.is_err() {
            tally.errors += 1;
            break;
        }
        match timeout(REPLY_TIMEOUT, client::next_data(&mut socket)).await {
            Ok(Some(reply)) if is_echo(&reply, &sent_text) => {}
            _ => {
                tally.errors += 1;
                break;
            }
        }
        let received = Instant::now();
        tally.round_trips += 1;
        if sent >= measure_from && received <= until {
            tally.latencies_us.push(micros(received - sent));
        }
    }
    tally
}

/// Whether `reply` answers `sent`: the same frame, or for a chat room the
/// same text however the server spaces its JSON.
fn is_echo(reply: &Message, sent: &str) -> bool {
    let Ok(reply) = reply.to_text() else {
        return false;
    };
    reply == sent
        || crate::client::chat_text(reply)
            .is_some_and(|text| Some(text) == crate::client::chat_text(sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes() {
        let chat = r#"{"message":"xx"}"#;
        let cases = [
            ("xx", "xx", true),
            ("xy", "xx", false),
            (chat, chat, true),
            (r#"{"message": "xx"}"#, chat, true),
            (r#"{"message": "xy"}"#, chat, false),
        ];
        for (reply, sent, expected) in cases {
            assert_eq!(is_echo(&Message::text(reply), sent), expected, "{reply}");
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(payload(3, false), Message::text("xxx"));
        assert_eq!(payload(2, true), Message::text(r#"{"message":"xx"}"#));
    }
}
