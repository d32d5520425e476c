//! How middleware turns a connection away.

use http::StatusCode;

use crate::close::{CloseCode, CloseFrame};
use crate::conversation::{Accept, Deny, Inbound, Outbound, WebsocketIo};
use crate::support::expect_connect;

/// How a middleware (an origin check, an authenticator, a limit) turns a
/// WebSocket connection away: with an HTTP status before the handshake,
/// or with a close code just after it.
///
/// The two differ in who can see the reason. A script or a server-side
/// client sees a refused handshake's status (`403`, `401`); a browser's
/// `WebSocket` does not, and reports only a failed connection (close
/// code 1006) whatever the status. An application whose browser code must
/// tell "log in again" from "try later" refuses with
/// [`close`](Self::close) instead: the handshake completes and the close
/// code and reason reach `onclose`.
///
/// ```
/// use aqueduct_core::{AppFuture, CloseCode, Refusal, Scope, WebsocketApp, WebsocketIo};
///
/// /// Refuses every connection that has no `token` in its query string.
/// struct RequireToken<A>(A);
///
/// impl<A: WebsocketApp> WebsocketApp for RequireToken<A> {
///     fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
///         if scope.query_param("token").is_some() {
///             // No await: the inner app's future is the connection's task.
///             return self.0.call(scope, io);
///         }
///         Box::pin(Refusal::status(http::StatusCode::UNAUTHORIZED).refuse(io))
///     }
/// }
///
/// assert_eq!(Refusal::close(CloseCode::from(4001)).to_string(), "close 4001");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Refuse the handshake with this HTTP response.
    Deny(Deny),
    /// Accept the handshake, then close at once with this frame.
    Close(CloseFrame),
}

impl Refusal {
    /// Refuses the handshake with `status` and its reason phrase as the body.
    pub fn status(status: StatusCode) -> Self {
        Self::Deny(Deny::new(status))
    }

    /// Accepts, then closes at once with `code`, so that a browser sees it.
    pub fn close(code: CloseCode) -> Self {
        Self::Close(CloseFrame::new(code))
    }

    /// Accepts, then closes at once with `code` and `reason`, both of
    /// which reach a browser's `onclose`.
    pub fn close_with_reason(code: CloseCode, reason: impl Into<String>) -> Self {
        Self::Close(CloseFrame::new(code).with_reason(reason))
    }

    /// Carries the refusal out on `io`, which no application has touched
    /// yet: waits for the client's `Connect`, refuses, and waits for the
    /// end of the connection.
    ///
    /// A [`Close`](Self::Close) refusal accepts with no subprotocol, so a
    /// browser that offered some fails the handshake (and sees 1006)
    /// unless `io` answers with one of them, as `AuthMiddleware`'s does
    /// for a token sent as a subprotocol; it never reaches the
    /// application either way.
    pub async fn refuse(self, mut io: Box<dyn WebsocketIo>) {
        if !expect_connect(&mut *io).await {
            return;
        }
        // A failed send means the client is gone: nobody is left to tell.
        let sent = match self {
            Self::Deny(deny) => io.send(Outbound::Deny(deny)).await,
            Self::Close(frame) => match io.send(Outbound::Accept(Accept::new())).await {
                Ok(()) => io.send(Outbound::Close(frame)).await,
                Err(closed) => Err(closed),
            },
        };
        if sent.is_err() {
            return;
        }
        // The driver finishes the closing handshake; whatever the client
        // sent meanwhile is dropped, as RFC 6455 allows.
        while !matches!(io.recv().await, Inbound::Disconnect(_)) {}
    }
}

impl From<Deny> for Refusal {
    fn from(deny: Deny) -> Self {
        Self::Deny(deny)
    }
}

impl From<CloseFrame> for Refusal {
    fn from(frame: CloseFrame) -> Self {
        Self::Close(frame)
    }
}

impl From<StatusCode> for Refusal {
    fn from(status: StatusCode) -> Self {
        Self::status(status)
    }
}

impl From<CloseCode> for Refusal {
    fn from(code: CloseCode) -> Self {
        Self::close(code)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deny(deny) => write!(f, "HTTP {}", deny.status.as_u16()),
            Self::Close(frame) => write!(f, "close {}", frame.code.as_u16()),
        }
    }
}
