//! A chat room server written the plain way: a second baseline for
//! aqueduct's chat route, next to the tuned raw room server.
//!
//! What a Rust developer would write from tokio's and axum's chat examples,
//! with none of the raw room server's care: one task per connection, a
//! `tokio::sync::broadcast` channel of `String` per room, tungstenite's
//! default settings but for the read buffer (a 128 KiB write buffer, and a
//! 4 KiB read buffer where the default is 128 KiB), and every message
//! parsed from JSON and encoded again, as aqueduct's chat consumer does. Each member's receiver clones the
//! broadcast `String`, one allocation per delivery.
//!
//! The read buffer is the one setting changed from the default because
//! tungstenite 0.30 zero-fills its read buffer up to capacity on every
//! read, found or not: with 128 KiB that made this server the slowest of
//! the three by far (aqueduct measured 1.7 times its rate), a strawman
//! rather than a baseline. 4 KiB was tungstenite's default before 0.21,
//! and this design's latency is the same with 256 B or 4 KiB.
//!
//! It still sets `TCP_NODELAY` (see `accept_loop`), as the guides of
//! hyper and axum advise for WebSockets and as aqueduct does: without it
//! the figures would measure Nagle's algorithm, not the server.

use std::io;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use http::Request;
use hyper::body::Incoming;
use hyper_tungstenite::HyperWebsocketStream;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::http::{Answer, RoomUpgrade, room_upgrade, serve_handshakes, status};
use super::plain_rooms::BroadcastRooms;

/// Bytes tungstenite reads per call, and zero-fills first.
const READ_BUFFER_SIZE: usize = 4 * 1024;

/// What clients send and receive, as aqueduct's chat example has it.
#[derive(Debug, Serialize, Deserialize)]
struct ChatMessage {
    message: String,
}

/// Serves chat rooms at `/ws/chat/<room>/` on `listener` until the task is
/// dropped, the plain way.
///
/// A client sends `{"message": "…"}`; every member of its room, the sender
/// included, gets `{"message":"…"}`, the frame aqueduct's chat example
/// sends back. Frames that are not such JSON are ignored. Other paths get
/// 404.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// aqueduct_bench::raw::serve_plain_rooms(listener).await
/// # }
/// ```
pub async fn serve_plain_rooms(listener: TcpListener) -> io::Result<()> {
    serve_handshakes(listener, Arc::new(BroadcastRooms::default()), handshake).await
}

fn handshake(mut request: Request<Incoming>, rooms: &Arc<BroadcastRooms>) -> Answer {
    // tungstenite's defaults, but for the read buffer (see the module's docs).
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_SIZE);
    let upgrade = match room_upgrade(&mut request, Some(config)) {
        Ok(upgrade) => upgrade,
        Err(refusal) => return status(refusal),
    };
    let RoomUpgrade {
        room,
        response,
        socket,
    } = upgrade;
    // Join before answering, as aqueduct's chat joins its group before
    // accepting: a client that sees the connection open misses nothing.
    let (sender, mut inbox) = rooms.join(&room);
    let rooms = rooms.clone();
    tokio::spawn(async move {
        if let Ok(socket) = socket.await {
            converse(socket, &sender, &mut inbox).await;
        }
        rooms.leave(&room, inbox);
    });
    response
}

/// One connection, one task: chat messages from the socket go to the room,
/// and the room's frames go to the socket.
async fn converse(
    mut socket: HyperWebsocketStream,
    room: &broadcast::Sender<String>,
    inbox: &mut broadcast::Receiver<String>,
) {
    loop {
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if let Some(frame) = reencode(&text) {
                        // Fails only with no receivers, and this member is one.
                        let _ = room.send(frame);
                    }
                }
                // tungstenite answers pings and close frames by itself.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            received = inbox.recv() => match received {
                Ok(frame) => {
                    if socket.send(Message::text(frame)).await.is_err() {
                        break;
                    }
                }
                // A member more than a room's capacity behind loses the
                // oldest and reads on from the rest: the room never waits
                // for a slow reader, as aqueduct's group_send skips a full
                // channel.
                Err(RecvError::Lagged(_)) => {}
                // Never while this member holds a sender of its own.
                Err(RecvError::Closed) => break,
            }
        }
    }
}

/// A client's `{"message": "…"}` parsed and encoded again, or `None` if it
/// is not one.
fn reencode(text: &str) -> Option<String> {
    let chat: ChatMessage = serde_json::from_str(text).ok()?;
    serde_json::to_string(&chat).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_reencoded_as_the_chat_example_sends_them() {
        let cases = [
            (r#"{"message":"hi"}"#, Some(r#"{"message":"hi"}"#)),
            (r#"{ "message": "hi" }"#, Some(r#"{"message":"hi"}"#)),
            (r#"{"message":"a\"b"}"#, Some(r#"{"message":"a\"b"}"#)),
            (r#"{"message":5}"#, None),
            ("hi", None),
        ];
        for (text, expected) in cases {
            assert_eq!(reencode(text).as_deref(), expected, "{text}");
        }
    }
}
