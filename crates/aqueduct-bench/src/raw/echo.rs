//! An echo server on tokio-tungstenite alone.

use std::io;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use super::accept::accept_loop;
use crate::serving::websocket_config;

/// Serves WebSocket echo on every path of `listener` until the task is
/// dropped: each text or binary message goes back unchanged.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// aqueduct_bench::raw::serve_echo(listener).await
/// # }
/// ```
pub async fn serve_echo(listener: TcpListener) -> io::Result<()> {
    accept_loop(listener, echo).await
}

async fn echo(stream: TcpStream) {
    let Ok(mut socket) =
        tokio_tungstenite::accept_async_with_config(stream, Some(websocket_config())).await
    else {
        return;
    };
    // tungstenite answers pings and close frames by itself; the stream ends
    // once the close handshake is done or the peer is gone.
    while let Some(Ok(message)) = socket.next().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && socket.send(message).await.is_err()
        {
            break;
        }
    }
}
