//! The stream under a WebSocket: the bare TCP socket when it can be had,
//! or whatever IO the host upgraded.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What a WebSocket reads from and writes to.
///
/// hyper hands an upgraded connection back as a boxed, rewindable IO, and
/// every read and write through it goes through a dynamic call and two
/// adapters. When the host served HTTP/1.1 straight on a `TcpStream`
/// (aqueduct's server, or `axum::serve`), the driver takes the socket back
/// out and talks to it directly. Anything else (TLS, an HTTP/2 stream, a
/// host's own IO) stays behind hyper's `Upgraded`, boxed so that the common
/// case keeps the size of a bare socket.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Upgraded(Box<TokioIo<Upgraded>>),
}

impl Stream {
    /// The stream of `upgraded`, and the bytes the client sent after its
    /// handshake that hyper read already.
    pub(crate) fn new(upgraded: Upgraded) -> (Self, bytes::Bytes) {
        match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => (Self::Tcp(parts.io.into_inner()), parts.read_buf),
            // `Upgraded` replays what hyper read ahead by itself.
            Err(upgraded) => (
                Self::Upgraded(Box::new(TokioIo::new(upgraded))),
                bytes::Bytes::new(),
            ),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Self::Upgraded(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Self::Upgraded(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Self::Upgraded(io) => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(tcp) => tcp.is_write_vectored(),
            Self::Upgraded(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Self::Upgraded(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Self::Upgraded(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http::{Request, Response, StatusCode};
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, BufStream};
    use tokio::net::TcpListener;
    use tokio::sync::oneshot;

    use super::*;

    const UPGRADE: &[u8] =
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\nearly";

    /// Serves one upgrade on `io` with hyper, and reports the `Stream` the
    /// driver makes of it, with the bytes the client sent right after.
    async fn upgrade_over<I>(io: I) -> (Stream, Vec<u8>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        let service = service_fn(move |mut request: Request<Incoming>| {
            let upgrade = hyper::upgrade::on(&mut request);
            let tx = tx.lock().unwrap().take();
            tokio::spawn(async move {
                let (mut stream, read) = Stream::new(upgrade.await.unwrap());
                let mut early = read.to_vec();
                let mut rest = [0; 5];
                let n = 5 - early.len();
                stream.read_exact(&mut rest[..n]).await.unwrap();
                early.extend_from_slice(&rest[..n]);
                let _ = tx.unwrap().send((stream, early));
            });
            let mut response = Response::new(http_body_util::Empty::<bytes::Bytes>::new());
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            async { Ok::<_, Infallible>(response) }
        });
        tokio::spawn(
            http1::Builder::new()
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades(),
        );
        rx.await.unwrap()
    }

    async fn client(listener: &TcpListener) -> TcpStream {
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(UPGRADE).await.unwrap();
        client
    }

    #[tokio::test]
    async fn a_tcp_stream_served_as_it_is_is_read_directly() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = client(&listener).await;
        let (tcp, _) = listener.accept().await.unwrap();
        let (stream, early) = upgrade_over(tcp).await;
        assert!(matches!(stream, Stream::Tcp(_)), "the fast path was lost");
        assert_eq!(early, b"early");
    }

    #[tokio::test]
    async fn any_other_io_works_through_upgraded() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = client(&listener).await;
        let (tcp, _) = listener.accept().await.unwrap();
        let (stream, early) = upgrade_over(BufStream::new(tcp)).await;
        assert!(matches!(stream, Stream::Upgraded(_)));
        assert_eq!(early, b"early");
    }
}
