//! The accept loop both baselines share.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Accepts connections on `listener` forever, spawning one task running
/// `serve` for each, with `TCP_NODELAY` set.
pub(crate) async fn accept_loop<F, Fut>(listener: TcpListener, serve: F) -> io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Small messages are the norm; Nagle's algorithm would hold each back.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream));
            }
            // Out of file descriptors, or one connection failing: neither is
            // a reason to stop. Back off briefly, as aqueduct's server does.
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
