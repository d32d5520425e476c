//! A chat room server on hyper and hyper-tungstenite alone: the baseline
//! for aqueduct's chat route and its group fan-out.

use std::io;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use http::Request;
use hyper::body::Incoming;
use hyper_tungstenite::HyperWebsocketStream;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::http::{Answer, RoomUpgrade, room_upgrade, serve_handshakes, status};
use super::rooms::{MEMBER_CAPACITY, Rooms};
use crate::serving::websocket_config;

/// Serves chat rooms at `/ws/chat/<room>/` on `listener` until the task is
/// dropped.
///
/// Every text message a client sends goes, unchanged, to every member of
/// its room, the sender included. For `{"message":"x"}` that is exactly the
/// frame aqueduct's chat example sends back, so a client sees no difference.
pub async fn serve_rooms(listener: TcpListener) -> io::Result<()> {
    serve_handshakes(listener, Arc::new(Rooms::default()), handshake).await
}

fn handshake(mut request: Request<Incoming>, rooms: &Arc<Rooms>) -> Answer {
    let upgrade = match room_upgrade(&mut request, Some(websocket_config())) {
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
    let (member, inbox) = mpsc::channel(MEMBER_CAPACITY);
    let id = rooms.join(&room, member);
    let rooms = rooms.clone();
    tokio::spawn(async move {
        if let Ok(socket) = socket.await {
            converse(socket, &room, &rooms, inbox).await;
        }
        rooms.leave(&room, id);
    });
    response
}

/// One connection, one task: frames from the socket go to the room, and
/// messages from the room go to the socket.
async fn converse(
    mut socket: HyperWebsocketStream,
    room: &str,
    rooms: &Rooms,
    mut inbox: mpsc::Receiver<Message>,
) {
    loop {
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(message @ Message::Text(_))) => {
                    rooms.broadcast(room, &message);
                }
                // tungstenite answers pings and close frames by itself.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            Some(message) = inbox.recv() => {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        }
    }
}
