//! Middleware for aqueduct WebSocket applications: who may connect, and
//! who they are.
//!
//! Each middleware wraps a [`WebsocketApp`](aqueduct_core::WebsocketApp)
//! (a consumer, a `UrlRouter`) and is one itself, so they nest the way
//! Channels' `AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(...)))`
//! does; each also has a [`tower::Layer`], so a stack can be built with
//! `tower::ServiceBuilder`. A middleware reads and edits the scope, and
//! turns a connection away with a [`Refusal`](aqueduct_core::Refusal).
//!
//! - [`OriginValidator`], [`AllowedHostsOriginValidator`]: refuse
//!   handshakes started by pages on other sites, with 403.
//! - [`AuthMiddleware`] with an [`Authenticator`]: find each connection's
//!   [`User`] from a [`TokenSource`]; consumers read it with
//!   `ctx.user::<U>()`.
//! - [`CookieSessions`]: signed or encrypted session cookies, written by
//!   the HTTP arm and read on the WebSocket.
//! - [`UserGroups`]: every connection of a user in the user's own group,
//!   for code outside the consumers to send to.

mod auth;
mod error;
mod origin;
mod session;
mod users;

pub use auth::{AuthLayer, AuthMiddleware, Authenticated, Authenticator, TokenSource};
pub use error::SessionError;
pub use origin::{AllowedHostsOriginValidator, OriginValidator, OriginValidatorLayer};
pub use session::{CookieSessions, Key};
pub use users::{User, UserGroups};

/// The `cookie` crate's `SameSite`, for [`CookieSessions::same_site`].
pub use cookie::SameSite;
