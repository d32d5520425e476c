//! Applications: what the server and the test communicator drive.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::conversation::WebsocketIo;
use crate::scope::Scope;

/// A WebSocket application: given a scope and a conversation, it runs the
/// connection to its end. Channels' ASGI application, typed.
///
/// Consumer factories (`ChatConsumer::default`), routers and middleware are
/// all applications, and wrap one another. Most users never implement this
/// trait; they implement [`WebsocketConsumer`](crate::WebsocketConsumer).
///
/// ```
/// use aqueduct_core::{Deny, Inbound, Outbound, Scope, WebsocketApp, WebsocketIo};
/// use async_trait::async_trait;
///
/// /// Refuses every connection that has no `token` in its query string.
/// struct RequireToken<A>(A);
///
/// #[async_trait]
/// impl<A: WebsocketApp> WebsocketApp for RequireToken<A> {
///     async fn call(&self, scope: Scope, mut io: Box<dyn WebsocketIo>) {
///         if scope.query_string().contains("token=") {
///             return self.0.call(scope, io).await;
///         }
///         if io.recv().await == Inbound::Connect {
///             let _ = io.send(Outbound::Deny(Deny::new(http::StatusCode::UNAUTHORIZED))).await;
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait WebsocketApp: Send + Sync + 'static {
    /// Runs one connection to its end.
    async fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>);
}

/// A shared, type-erased WebSocket application.
pub type BoxWebsocketApp = Arc<dyn WebsocketApp>;

/// The future [`WebsocketApp::call`] returns once `async_trait` has boxed it.
///
/// An application that only picks another one (a router, a middleware that
/// edits the scope) can implement `call` as a plain `fn` returning the inner
/// application's future: the connection's task then stays one future deep
/// however many routers it crossed, which saves memory on every connection
/// and a dynamic call on every wake-up.
pub type AppFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl WebsocketApp for Arc<dyn WebsocketApp> {
    fn call<'life0, 'async_trait>(
        &'life0 self,
        scope: Scope,
        io: Box<dyn WebsocketIo>,
    ) -> AppFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        (**self).call(scope, io)
    }
}
