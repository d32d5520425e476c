//! Routers for aqueduct: which application gets a connection.
//!
//! - [`UrlRouter`] picks a WebSocket application by path, with Django
//!   `path()` patterns such as `ws/chat/<room_name>/`.
//!
//! It opens no socket: the server and the test communicator drive it.

mod app;
mod error;
mod url;

#[cfg(test)]
mod test_support;

pub use url::UrlRouter;
