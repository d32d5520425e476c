//! Per-user notifications: "send this to alice, in every tab she has
//! open", from an HTTP handler.
//!
//! Run with `cargo run -p example-notify`, then open two tabs at
//! <http://127.0.0.1:8000/?token=alice-token> and one at
//! <http://127.0.0.1:8000/?token=bob-token>, and notify alice:
//!
//! ```text
//! curl -X POST -d 'hello' http://127.0.0.1:8000/notify/alice/
//! {"delivered":2}
//! ```
//!
//! Both of alice's tabs show "hello"; bob's shows nothing.
//! `curl -X POST -d 'hi all' http://127.0.0.1:8000/notify/` reaches every
//! tab. A tab at <http://127.0.0.1:8000/> with no token logs in with the
//! page's form instead: the HTTP arm answers with a session cookie, and
//! the WebSocket opened afterwards is that user's.
//!
//! How it fits together:
//!
//! - `AllowedHostsOriginValidator` turns away sockets opened by pages on
//!   other sites, which would otherwise connect with the user's cookie.
//! - `AuthMiddleware` with [`DemoAuthenticator`] finds each connection's
//!   user, from a token or from the session cookie, refuses everyone else
//!   with close code [`LOGIN_REQUIRED`], and puts every connection of user
//!   `alice` in the group `user.alice` (and all of them in `everyone`).
//! - [`NotifyConsumer`] greets the user and forwards notifications.
//! - The HTTP arm's `POST /notify/<user>/` sends through the channel layer
//!   with `UserGroups::send_to_user`, to every process on the layer.

mod api;
mod body;
mod consumer;
mod pages;
mod users;

use std::sync::Arc;

use aqueduct::Refusal;
use aqueduct::middleware::{
    AllowedHostsOriginValidator, AuthMiddleware, CookieSessions, Key, UserGroups,
};
use aqueduct::prelude::*;

pub use consumer::{NotifyConsumer, NotifyEvent};
pub use users::{DemoAuthenticator, DemoUser, LOGIN_REQUIRED};

/// The whole application on one process, its tabs reached through an
/// in-memory channel layer; pages served from `allowed_hosts` may open
/// its sockets (see [`app_with_layer`]).
#[track_caller]
pub fn app(allowed_hosts: impl IntoIterator<Item: AsRef<str>>) -> ProtocolTypeRouter {
    app_with_layer(InMemoryChannelLayer::new(), allowed_hosts)
}

/// The whole application on `layer`: the page and the notify endpoints
/// over HTTP, the notifications over WebSocket.
///
/// `allowed_hosts` are Django's `ALLOWED_HOSTS`, with a port or without:
/// `["localhost:8000", "127.0.0.1:8000"]` lets in only pages served from
/// this server, not from another program on the same machine.
///
/// # Panics
///
/// Panics when `allowed_hosts` is empty or has an entry that is no host.
#[track_caller]
pub fn app_with_layer(
    layer: impl Into<Arc<dyn ChannelLayer>>,
    allowed_hosts: impl IntoIterator<Item: AsRef<str>>,
) -> ProtocolTypeRouter {
    // A key made at start-up keeps every secret out of the source, at the
    // cost of logging everyone out when the server restarts. Several
    // processes need one key between them: a real application reads it
    // from its settings, as Django does `SECRET_KEY` (`Key::from` with 64
    // random bytes or more).
    let sessions = CookieSessions::private(Key::generate());
    // The default names, `user.<id>` and `everyone`. The middleware and
    // the endpoints that send must agree on them, so both get this value.
    let groups = UserGroups::new();

    let notifications = UrlRouter::new().route("ws/notify/", NotifyConsumer::default);
    // As Channels nests AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(...))).
    let websocket = AllowedHostsOriginValidator::new(
        AuthMiddleware::new(notifications, DemoAuthenticator::new(sessions.clone()))
            .user_groups(groups.clone())
            .login_required(Refusal::close_with_reason(LOGIN_REQUIRED, "login required")),
        allowed_hosts,
    );
    ProtocolTypeRouter::new()
        .http(pages::router(sessions).merge(api::router(groups)))
        .websocket(websocket)
        .with_channel_layer(layer)
}
