//! A chat room server on hyper and hyper-tungstenite alone: the baseline
//! for aqueduct's chat route and its group fan-out.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_tungstenite::HyperWebsocketStream;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::accept::accept_loop;
use super::rooms::{MEMBER_CAPACITY, Rooms};
use crate::serving::websocket_config;

/// Serves chat rooms at `/ws/chat/<room>/` on `listener` until the task is
/// dropped.
///
/// Every text message a client sends goes, unchanged, to every member of
/// its room, the sender included. For `{"message":"x"}` that is exactly the
/// frame aqueduct's chat example sends back, so a client sees no difference.
pub async fn serve_rooms(listener: TcpListener) -> io::Result<()> {
    let rooms = Arc::new(Rooms::default());
    accept_loop(listener, move |stream| serve_http(stream, rooms.clone())).await
}

async fn serve_http(stream: TcpStream, rooms: Arc<Rooms>) {
    let service = service_fn(move |request| {
        let response = handshake(request, &rooms);
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

fn handshake(mut request: Request<Incoming>, rooms: &Arc<Rooms>) -> Response<Full<Bytes>> {
    let Some(room) = room_name(request.uri().path()).map(str::to_owned) else {
        return status(StatusCode::NOT_FOUND);
    };
    if !hyper_tungstenite::is_upgrade_request(&request) {
        return status(StatusCode::BAD_REQUEST);
    }
    let Ok((response, upgrade)) =
        hyper_tungstenite::upgrade(&mut request, Some(websocket_config()))
    else {
        return status(StatusCode::BAD_REQUEST);
    };
    // Join before answering, as aqueduct's chat joins its group before
    // accepting: a client that sees the connection open misses nothing.
    let (member, inbox) = mpsc::channel(MEMBER_CAPACITY);
    let id = rooms.join(&room, member);
    let rooms = rooms.clone();
    tokio::spawn(async move {
        if let Ok(socket) = upgrade.await {
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

/// The room of a path `/ws/chat/<room>/`, parsed by hand as a raw server would.
fn room_name(path: &str) -> Option<&str> {
    let room = path.strip_prefix("/ws/chat/")?.strip_suffix('/')?;
    (!room.is_empty() && !room.contains('/')).then_some(room)
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_paths() {
        let cases = [
            ("/ws/chat/lobby/", Some("lobby")),
            ("/ws/chat/r17/", Some("r17")),
            ("/ws/chat/lobby", None),
            ("/ws/chat//", None),
            ("/ws/chat/a/b/", None),
            ("/ws/echo/", None),
            ("/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(room_name(path), expected, "{path}");
        }
    }
}
