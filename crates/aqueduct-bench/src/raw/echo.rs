//! An echo server on tokio-tungstenite alone, over TLS with tokio-rustls
//! in front when asked.

use std::io;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
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

/// Serves the same echo over TLS with `config` (see
/// [`tls_server_config`](crate::serving::tls_server_config)): the TLS
/// handshake, then the WebSocket one on the decrypted stream.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use std::path::Path;
/// use aqueduct_bench::serving::tls_server_config;
///
/// let config = tls_server_config(Path::new("cert.pem"), Path::new("key.pem"))?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// aqueduct_bench::raw::serve_echo_tls(listener, config).await
/// # }
/// ```
pub async fn serve_echo_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    accept_loop(listener, move |stream| {
        let handshake = acceptor.accept(stream);
        async move {
            if let Ok(stream) = handshake.await {
                echo(stream).await;
            }
        }
    })
    .await
}

async fn echo<S>(stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
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
