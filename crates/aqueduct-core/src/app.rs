//! Applications: what the server and the test communicator drive.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::conversation::WebsocketIo;
use crate::scope::Scope;

/// A WebSocket application: given a scope and a conversation, it runs the
/// connection to its end. Channels' ASGI application, typed.
///
/// Consumer factories (`ChatConsumer::default`), routers and middleware are
/// all applications, and wrap one another. Most users never implement this
/// trait; they implement [`WebsocketConsumer`](crate::WebsocketConsumer).
///
/// `call` reads like tower's `Service::call`: it returns a named future,
/// [`AppFuture`], so implementing it takes no macro and no lifetimes
/// beyond the `'_` of `&self`. Middleware that only inspects the scope
/// returns the inner application's future as it is; one that must wait
/// (on a database, say) wraps an `async` block in `Box::pin`. Either turns
/// a connection away with a [`Refusal`](crate::Refusal): an HTTP status
/// before the handshake, or a close code after it.
///
/// Middleware composes as tower's does: each wraps an inner application,
/// and a `tower::Layer` for it lets a stack read like a `ServiceBuilder`.
///
/// ```
/// use aqueduct_core::{AppFuture, Refusal, Scope, WebsocketApp, WebsocketIo};
///
/// /// Refuses every connection that has no `token` in its query string.
/// struct RequireToken<A>(A);
///
/// impl<A: WebsocketApp> WebsocketApp for RequireToken<A> {
///     fn call(&self, mut scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
///         let Some(token) = scope.query_param("token").map(|t| t.into_owned()) else {
///             return Box::pin(Refusal::status(http::StatusCode::UNAUTHORIZED).refuse(io));
///         };
///         // Edit the scope for the applications inside.
///         scope.extensions_mut().insert(token);
///         // No await: the inner app's future is the connection's task.
///         self.0.call(scope, io)
///     }
/// }
/// ```
pub trait WebsocketApp: Send + Sync + 'static {
    /// Runs one connection to its end.
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_>;
}

/// A shared, type-erased WebSocket application.
pub type BoxWebsocketApp = Arc<dyn WebsocketApp>;

/// The future [`WebsocketApp::call`] returns: boxed, `Send`, and borrowing
/// the application for as long as the connection runs.
///
/// An application that only picks another one (a router, a middleware that
/// edits the scope) can implement `call` as a plain `fn` returning the inner
/// application's future: the connection's task then stays one future deep
/// however many routers it crossed, which saves memory on every connection
/// and a dynamic call on every wake-up.
pub type AppFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl WebsocketApp for Arc<dyn WebsocketApp> {
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        (**self).call(scope, io)
    }
}
