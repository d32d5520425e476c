//! The HTTP side both room servers share: hyper serving the handshake,
//! and the route `/ws/chat/<room>/`.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_tungstenite::HyperWebsocket;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::accept::accept_loop;

/// A response with no body.
pub(super) type Answer = Response<Full<Bytes>>;

/// Accepts connections on `listener` and serves HTTP/1.1 on each, answering
/// every request with `handshake`, which is given the server's `state`.
pub(super) async fn serve_handshakes<S>(
    listener: TcpListener,
    state: Arc<S>,
    handshake: fn(Request<Incoming>, &Arc<S>) -> Answer,
) -> io::Result<()>
where
    S: Send + Sync + 'static,
{
    accept_loop(listener, move |stream| {
        let state = state.clone();
        serve_http(stream, move |request| handshake(request, &state))
    })
    .await
}

/// Serves HTTP/1.1 on `stream`, upgrades allowed, answering each request
/// with `answer`.
async fn serve_http<F>(stream: TcpStream, answer: F)
where
    F: Fn(Request<Incoming>) -> Answer + Send + 'static,
{
    let service = service_fn(move |request| {
        let response = answer(request);
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

/// A WebSocket handshake to `/ws/chat/<room>/` that can be accepted.
#[derive(Debug)]
pub(super) struct RoomUpgrade {
    /// The room's name.
    pub(super) room: String,
    /// The `101 Switching Protocols` to send back.
    pub(super) response: Answer,
    /// The socket, once the response is out.
    pub(super) socket: HyperWebsocket,
}

/// Reads a chat room handshake out of `request`, or the status to refuse
/// it with ([`status`] makes the response): 404 for any other path, 400
/// for a request that is no WebSocket upgrade.
pub(super) fn room_upgrade(
    request: &mut Request<Incoming>,
    config: Option<WebSocketConfig>,
) -> Result<RoomUpgrade, StatusCode> {
    let Some(room) = room_name(request.uri().path()).map(str::to_owned) else {
        return Err(StatusCode::NOT_FOUND);
    };
    if !hyper_tungstenite::is_upgrade_request(request) {
        return Err(StatusCode::BAD_REQUEST);
    }
    match hyper_tungstenite::upgrade(request, config) {
        Ok((response, socket)) => Ok(RoomUpgrade {
            room,
            response,
            socket,
        }),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

/// The room of a path `/ws/chat/<room>/`, parsed by hand as a raw server would.
fn room_name(path: &str) -> Option<&str> {
    let room = path.strip_prefix("/ws/chat/")?.strip_suffix('/')?;
    (!room.is_empty() && !room.contains('/')).then_some(room)
}

/// An empty response with `status`.
pub(super) fn status(status: StatusCode) -> Answer {
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
