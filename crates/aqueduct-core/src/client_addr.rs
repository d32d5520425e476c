//! The client's address on an HTTP request, where the host knows it.

use std::net::SocketAddr;

/// The address of the client that sent an HTTP request, as the server
/// resolved it: behind a trusted proxy (see `Server::proxy_headers`), the
/// client the proxy names rather than the proxy itself.
///
/// aqueduct's server puts one in the extensions of every request it hands
/// to the http arm, as axum's `ConnectInfo` would: an axum handler reads it
/// with `Extension<ClientAddr>`, and a view finds it as `scope.client()`.
/// A WebSocket's scope carries the same address as [`Scope::client`](crate::Scope::client).
/// Under another host (`axum::serve`) it is absent.
///
/// ```
/// use aqueduct_core::ClientAddr;
///
/// let mut request = http::Request::get("/").body(()).unwrap();
/// request.extensions_mut().insert(ClientAddr("203.0.113.7:0".parse().unwrap()));
/// let ClientAddr(client) = request.extensions().get::<ClientAddr>().copied().unwrap();
/// assert_eq!(client.ip().to_string(), "203.0.113.7");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub SocketAddr);
