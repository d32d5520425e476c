//! The aqueduct server: hyper 1 serving aqueduct applications over TCP,
//! plain or with TLS (rustls), HTTP/1.1 or HTTP/2.
//!
//! Most users reach it through `aqueduct::serve` and `aqueduct::Server`.
//! It keeps aqueduct's connection contract: the `101` goes out only once
//! the consumer's `connect` accepts; one task per connection owns the
//! consumer and the socket; bad input gets the close code RFC 6455 gives it; shutdown closes
//! every socket with 1001 and lets disconnect hooks run.

mod connection;
mod error;
mod proxy;
mod server;
mod tls;

pub use error::{TlsError, TrustedProxiesError};
pub use proxy::TrustedProxies;
pub use server::Server;

/// rustls, for [`Server::tls`]'s prepared config.
pub use rustls;

use std::io;

use aqueduct_routing::ProtocolTypeRouter;
use tokio::net::ToSocketAddrs;

/// Serves `app` on `addr` with default settings until Ctrl-C or SIGTERM.
///
/// ```no_run
/// use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
///
/// # async fn run(app: ProtocolTypeRouter) -> std::io::Result<()> {
/// aqueduct_server::serve("127.0.0.1:8000", app).await
/// # }
/// ```
pub async fn serve(addr: impl ToSocketAddrs, app: impl Into<ProtocolTypeRouter>) -> io::Result<()> {
    Server::bind(addr).await?.serve(app).await
}
