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
