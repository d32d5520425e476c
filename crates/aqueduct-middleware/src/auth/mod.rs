//! `AuthMiddleware`: who is on the other end of a connection.

mod subprotocol;
mod token;

use std::fmt;
use std::sync::Arc;

use aqueduct_core::__private::{LogThrottle, catch_panic};
use aqueduct_core::{AppFuture, CloseCode, Refusal, Scope, WebsocketApp, WebsocketIo};
use async_trait::async_trait;
use http::StatusCode;
use tower::Layer;

use self::subprotocol::AnswerWithMarker;
use self::token::find_token;
use crate::users::{User, UserGroups};

pub use token::TokenSource;

/// Decides who a connection belongs to: the application's half of
/// [`AuthMiddleware`], able to await a database or another service.
///
/// ```
/// use aqueduct_core::Scope;
/// use aqueduct_middleware::{Authenticated, Authenticator, User};
/// use async_trait::async_trait;
///
/// #[derive(Clone, Debug)]
/// struct Account {
///     id: u64,
/// }
///
/// impl User for Account {
///     fn id(&self) -> String {
///         self.id.to_string()
///     }
/// }
///
/// struct Tokens;
///
/// #[async_trait]
/// impl Authenticator for Tokens {
///     type User = Account;
///
///     async fn authenticate(&self, token: Option<&str>, _scope: &Scope) -> Authenticated<Account> {
///         match token {
///             // A real one looks the token up in a database.
///             Some("alice-token") => Authenticated::User(Account { id: 42 }),
///             Some(_) => Authenticated::unauthorized(),
///             None => Authenticated::Anonymous,
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// The application's user type; consumers read it back with
    /// `ctx.user::<Self::User>()`.
    type User: User;

    /// Decides who the connection with `token` belongs to. `token` is the
    /// first one the middleware's [`TokenSource`]s found, if any; `scope`
    /// has the rest (headers, cookies, the client's address).
    ///
    /// It runs before the handshake is answered, within the server's
    /// handshake timeout (5 s by default; a slower answer gets 503).
    async fn authenticate(&self, token: Option<&str>, scope: &Scope) -> Authenticated<Self::User>;
}

/// What an [`Authenticator`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authenticated<U> {
    /// The connection belongs to this user.
    User(U),
    /// Nobody in particular: the connection goes on, with no user.
    Anonymous,
    /// Turn the connection away, as this refusal says.
    Refused(Refusal),
}

impl<U> Authenticated<U> {
    /// Refuses with `401 Unauthorized`: a token was sent, and is wrong.
    /// Scripts see the status; a browser sees only a failed connection.
    pub fn unauthorized() -> Self {
        Self::Refused(Refusal::status(StatusCode::UNAUTHORIZED))
    }

    /// Accepts and closes at once with `code` and `reason`, which a
    /// browser's `onclose` sees: `Authenticated::closed(CloseCode::new(4001), "unknown token")`.
    pub fn closed(code: CloseCode, reason: impl Into<String>) -> Self {
        Self::Refused(Refusal::close_with_reason(code, reason))
    }
}

/// Finds the user of each WebSocket connection with an [`Authenticator`]
/// and puts it in the scope: Channels' `AuthMiddlewareStack`.
///
/// For each handshake it looks for a token in its [`TokenSource`]s (by
/// default `?token=`, then `Authorization: Bearer`, then the subprotocol
/// after `access_token`), asks the authenticator, and then:
///
/// - for a user, records it ([`Scope::user`], `ctx.user::<U>()`) and adds
///   the user's own group to the scope (see [`UserGroups`]); the consumer
///   joins it before `connect`;
/// - for an anonymous connection, goes on with no user, unless
///   [`login_required`](Self::login_required) says to refuse;
/// - for a refusal, turns the connection away and logs it.
///
/// Every connection it lets through joins the `everyone` group.
///
/// ```
/// # use aqueduct_core::{NoEvents, Scope, WebsocketConsumer};
/// # use aqueduct_middleware::{Authenticated, Authenticator, User};
/// # #[derive(Clone)] struct Account;
/// # impl User for Account { fn id(&self) -> String { "1".into() } }
/// # struct Tokens;
/// # #[async_trait::async_trait]
/// # impl Authenticator for Tokens {
/// #     type User = Account;
/// #     async fn authenticate(&self, _: Option<&str>, _: &Scope) -> Authenticated<Account> { Authenticated::Anonymous }
/// # }
/// # #[derive(Default)] struct NotifyConsumer;
/// # impl WebsocketConsumer for NotifyConsumer { type Event = NoEvents; }
/// use aqueduct_middleware::{AllowedHostsOriginValidator, AuthMiddleware, TokenSource};
/// use aqueduct_core::CloseCode;
///
/// // As Channels nests `AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(...)))`.
/// let app = AllowedHostsOriginValidator::new(
///     AuthMiddleware::new(NotifyConsumer::default, Tokens)
///         .tokens_from([TokenSource::query("token"), TokenSource::cookie("sessionid")])
///         .login_required(CloseCode::new(4001)),
///     ["example.com"],
/// );
/// # let _ = app;
/// ```
pub struct AuthMiddleware<A, Au> {
    inner: A,
    layer: AuthLayer<Au>,
}

impl<A, Au: Authenticator> AuthMiddleware<A, Au> {
    /// Wraps `inner`, finding users with `authenticator`.
    pub fn new(inner: A, authenticator: Au) -> Self {
        AuthLayer::new(authenticator).layer(inner)
    }

    /// Looks for the token in `sources`, in this order, instead of the
    /// [defaults](TokenSource::defaults).
    pub fn tokens_from(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.layer = self.layer.tokens_from(sources);
        self
    }

    /// Names the groups users join (see [`UserGroups`]).
    pub fn user_groups(mut self, groups: UserGroups) -> Self {
        self.layer = self.layer.user_groups(groups);
        self
    }

    /// Refuses anonymous connections as `refusal` says: a status such as
    /// `StatusCode::UNAUTHORIZED`, or a close code such as `4001` for a
    /// browser to see.
    pub fn login_required(mut self, refusal: impl Into<Refusal>) -> Self {
        self.layer = self.layer.login_required(refusal);
        self
    }
}

/// Wraps applications in an [`AuthMiddleware`]: a [`tower::Layer`], with
/// the same settings.
///
/// ```
/// # use aqueduct_core::{NoEvents, Scope, WebsocketConsumer};
/// # use aqueduct_middleware::{Authenticated, Authenticator, User};
/// # #[derive(Clone)] struct Account;
/// # impl User for Account { fn id(&self) -> String { "1".into() } }
/// # struct Tokens;
/// # #[async_trait::async_trait]
/// # impl Authenticator for Tokens {
/// #     type User = Account;
/// #     async fn authenticate(&self, _: Option<&str>, _: &Scope) -> Authenticated<Account> { Authenticated::Anonymous }
/// # }
/// # #[derive(Default)] struct NotifyConsumer;
/// # impl WebsocketConsumer for NotifyConsumer { type Event = NoEvents; }
/// use aqueduct_middleware::{AuthLayer, OriginValidatorLayer};
/// use tower::ServiceBuilder;
///
/// let app = ServiceBuilder::new()
///     .layer(OriginValidatorLayer::new(["example.com"]))
///     .layer(AuthLayer::new(Tokens))
///     .service(NotifyConsumer::default);
/// # let _ = app;
/// ```
pub struct AuthLayer<Au> {
    authenticator: Arc<Au>,
    settings: Arc<Settings>,
}

/// What an [`AuthLayer`] does besides asking its authenticator.
#[derive(Clone, Debug)]
struct Settings {
    sources: Vec<TokenSource>,
    groups: UserGroups,
    anonymous: Option<Refusal>,
    /// One log line a second for refusals, and for panics: a client
    /// trying tokens, or one that found a panic, must not flood the log.
    refused: Arc<LogThrottle>,
    panicked: Arc<LogThrottle>,
}

impl<Au: Authenticator> AuthLayer<Au> {
    /// A layer finding users with `authenticator`.
    pub fn new(authenticator: Au) -> Self {
        Self {
            authenticator: Arc::new(authenticator),
            settings: Arc::new(Settings {
                sources: TokenSource::defaults(),
                groups: UserGroups::default(),
                anonymous: None,
                refused: Arc::default(),
                panicked: Arc::default(),
            }),
        }
    }

    /// See [`AuthMiddleware::tokens_from`].
    pub fn tokens_from(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        Arc::make_mut(&mut self.settings).sources = sources.into_iter().collect();
        self
    }

    /// See [`AuthMiddleware::user_groups`].
    pub fn user_groups(mut self, groups: UserGroups) -> Self {
        Arc::make_mut(&mut self.settings).groups = groups;
        self
    }

    /// See [`AuthMiddleware::login_required`].
    pub fn login_required(mut self, refusal: impl Into<Refusal>) -> Self {
        Arc::make_mut(&mut self.settings).anonymous = Some(refusal.into());
        self
    }
}

impl<A, Au> Layer<A> for AuthLayer<Au> {
    type Service = AuthMiddleware<A, Au>;

    fn layer(&self, inner: A) -> AuthMiddleware<A, Au> {
        AuthMiddleware {
            inner,
            layer: self.clone(),
        }
    }
}

impl<A: WebsocketApp, Au: Authenticator> WebsocketApp for AuthMiddleware<A, Au> {
    fn call(&self, mut scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(async move {
            let settings = &*self.layer.settings;
            let found = find_token(&mut scope, &settings.sources);
            let token = found.as_ref().map(|found| found.token.as_str());
            let authenticator = &self.layer.authenticator;
            let decided = catch_panic(|| authenticator.authenticate(token, &scope)).await;
            let refusal = match decided {
                Ok(Authenticated::User(user)) => {
                    admit(&mut scope, user, &settings.groups);
                    None
                }
                Ok(Authenticated::Anonymous) => settings.anonymous.clone().inspect(|refusal| {
                    if let Some(suppressed) = settings.refused.hit() {
                        tracing::info!(%refusal, suppressed, "anonymous connection refused: login required");
                    }
                }),
                Ok(Authenticated::Refused(refusal)) => {
                    if let Some(suppressed) = settings.refused.hit() {
                        let token = found.is_some();
                        tracing::info!(%refusal, token, suppressed, "authentication refused");
                    }
                    Some(refusal)
                }
                Err(panic) => {
                    if let Some(suppressed) = settings.panicked.hit() {
                        tracing::error!(panic, suppressed, "authenticator panicked; refusing with 500");
                    }
                    Some(Refusal::status(StatusCode::INTERNAL_SERVER_ERROR))
                }
            };
            // Answered with the marker whether the connection goes on or
            // is closed: a browser fails a handshake answered without it,
            // and would see 1006 instead of the refusal's code.
            let io = match found.and_then(|found| found.subprotocol) {
                Some(marker) => Box::new(AnswerWithMarker { inner: io, marker }),
                None => io,
            };
            if let Some(refusal) = refusal {
                return refusal.refuse(io).await;
            }
            if let Some(everyone) = settings.groups.everyone_group() {
                scope.add_group(everyone);
            }
            self.inner.call(scope, io).await
        })
    }
}

/// Records `user` in the scope, with its group.
fn admit<U: User>(scope: &mut Scope, user: U, groups: &UserGroups) {
    let id = user.id();
    match groups.group_for(&id) {
        Some(group) => scope.add_group(group),
        None if groups.per_user() => {
            tracing::warn!(
                user = id,
                "user id too long for a group name; no user group"
            );
        }
        None => {}
    }
    tracing::debug!(user = id, "authenticated");
    scope.set_user(user);
}

impl<Au> Clone for AuthLayer<Au> {
    fn clone(&self) -> Self {
        Self {
            authenticator: self.authenticator.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<A: Clone, Au> Clone for AuthMiddleware<A, Au> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<Au> fmt::Debug for AuthLayer<Au> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("authenticator", &std::any::type_name::<Au>())
            .field("sources", &self.settings.sources)
            .field("groups", &self.settings.groups)
            .field("login_required", &self.settings.anonymous)
            .finish()
    }
}

impl<A, Au> fmt::Debug for AuthMiddleware<A, Au> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.layer, f)
    }
}
