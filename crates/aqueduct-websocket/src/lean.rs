//! A socket that holds no read buffer while its connection is idle.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes asked of the socket at once. They land on the stack, so a large
/// read costs no memory between messages.
const CHUNK: usize = 8 << 10;

/// Wraps a socket so that tungstenite's small read buffer still reads from
/// the kernel in large chunks.
///
/// tungstenite keeps a read buffer of `read_buffer_size` for the life of a
/// connection and reads at most that much per call. A small buffer keeps
/// idle connections small but would cost one system call per few hundred
/// bytes of a large message; this wrapper reads up to [`CHUNK`] bytes onto
/// the stack and keeps on the heap only what the caller could not take yet,
/// freeing it as soon as it has been taken. An idle connection therefore
/// holds nothing here.
#[derive(Debug)]
pub(crate) struct LeanIo<S> {
    inner: S,
    /// Read from the socket but not yet taken by the caller.
    rest: Bytes,
}

impl<S> LeanIo<S> {
    /// Wraps `inner`, whose first bytes were read already into `read`.
    ///
    /// `read` is copied if it holds anything: it is a slice of hyper's
    /// request buffer, which would otherwise live as long as it does.
    pub(crate) fn new(inner: S, read: &[u8]) -> Self {
        Self {
            inner,
            rest: if read.is_empty() {
                Bytes::new()
            } else {
                Bytes::copy_from_slice(read)
            },
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LeanIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rest.has_remaining() {
            let n = this.rest.len().min(out.remaining());
            out.put_slice(&this.rest[..n]);
            this.rest.advance(n);
            if !this.rest.has_remaining() {
                // Drop the allocation, not just its contents.
                this.rest = Bytes::new();
            }
            return Poll::Ready(Ok(()));
        }
        if out.remaining() >= CHUNK {
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let mut chunk = [MaybeUninit::<u8>::uninit(); CHUNK];
        let mut chunk = ReadBuf::uninit(&mut chunk);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut chunk))?;
        let read = chunk.filled();
        let n = read.len().min(out.remaining());
        out.put_slice(&read[..n]);
        if n < read.len() {
            this.rest = Bytes::copy_from_slice(&read[n..]);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LeanIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    use super::*;

    /// Reads `len` bytes through `LeanIo` in steps of at most `step`, as
    /// tungstenite does with a small read buffer.
    async fn read_in_steps(
        io: &mut LeanIo<tokio::io::DuplexStream>,
        len: usize,
        step: usize,
    ) -> Vec<u8> {
        let mut got = Vec::new();
        while got.len() < len {
            let mut buf = vec![0; step];
            let n = io.read(&mut buf).await.unwrap();
            assert!(n > 0, "early end of stream after {} bytes", got.len());
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    #[tokio::test]
    async fn small_reads_see_every_byte_in_order_and_keep_nothing_after() {
        let (mut client, server) = duplex(64 << 10);
        let mut io = LeanIo::new(server, &[]);
        let sent: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).await.unwrap();
        let got = read_in_steps(&mut io, sent.len(), 256).await;
        assert_eq!(got, sent);
        assert!(
            io.rest.is_empty(),
            "leftover bytes kept after all were read"
        );
    }

    #[tokio::test]
    async fn large_reads_go_straight_to_the_caller() {
        let (mut client, server) = duplex(64 << 10);
        let mut io = LeanIo::new(server, &[]);
        client.write_all(&[7; 30_000]).await.unwrap();
        let got = read_in_steps(&mut io, 30_000, 2 * CHUNK).await;
        assert!(got.iter().all(|&b| b == 7));
        assert!(io.rest.is_empty());
    }

    #[tokio::test]
    async fn bytes_read_before_come_first() {
        let (mut client, server) = duplex(1024);
        let mut io = LeanIo::new(server, b"early ");
        client.write_all(b"later").await.unwrap();
        drop(client);
        let mut got = Vec::new();
        io.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"early later");
    }

    #[tokio::test]
    async fn end_of_stream_reads_zero() {
        let (client, server) = duplex(1024);
        drop(client);
        let mut io = LeanIo::new(server, &[]);
        let mut buf = [0; 16];
        assert_eq!(io.read(&mut buf).await.unwrap(), 0);
    }
}
