//! `OriginValidator` and `AllowedHostsOriginValidator`: refuse WebSocket
//! handshakes that a page on another site started.

mod pattern;

use std::fmt;
use std::sync::Arc;

use aqueduct_core::__private::LogThrottle;
use aqueduct_core::{AppFuture, Deny, Refusal, Scope, WebsocketApp, WebsocketIo};
use http::{StatusCode, header};
use tower::Layer;

use self::pattern::{Origin, Pattern};

/// Refuses WebSocket handshakes whose `Origin` is not allowed, with 403:
/// Channels' `OriginValidator`.
///
/// Browsers send every WebSocket handshake with the `Origin` of the page
/// that opened it, and send the site's cookies along whatever that page
/// is; without this check, any site a user visits can open a socket to
/// yours in their name (cross-site WebSocket hijacking).
///
/// Each allowed entry is one of:
///
/// | entry | allows |
/// |---|---|
/// | `*` | everything |
/// | `example.com` | that host, any scheme and port |
/// | `.example.com` | `example.com` and every subdomain |
/// | `example.com:8000` | that host on that port only |
/// | `https://example.com` | that scheme, host and port (443 by default) |
/// | `http://.example.com:8000` | a scheme, a domain with its subdomains, a port |
///
/// Hosts are compared as Django's `is_same_domain` does, ignoring case.
/// `Origin: null` (a sandboxed frame, a `file://` page) and anything else
/// that is no `scheme://host[:port]` is refused unless `*` is allowed.
///
/// **A handshake with no `Origin` header is accepted** by default: only
/// browsers send one, and a client that is no browser cannot be made to
/// act for a user by another site. Channels refuses it unless `*` is
/// allowed; [`allow_missing_origin(false)`](Self::allow_missing_origin)
/// does the same here.
///
/// ```
/// use aqueduct_core::{NoEvents, WebsocketConsumer};
/// use aqueduct_middleware::OriginValidator;
///
/// #[derive(Default)]
/// struct ChatConsumer;
/// impl WebsocketConsumer for ChatConsumer {
///     type Event = NoEvents;
/// }
///
/// let app = OriginValidator::new(ChatConsumer::default, ["https://chat.example.com", ".example.org"]);
/// # let _ = app;
/// ```
pub struct OriginValidator<A> {
    inner: A,
    policy: Arc<Policy>,
}

/// What an [`OriginValidator`] allows, shared by its clones and its layer.
#[derive(Clone, Debug)]
struct Policy {
    patterns: Vec<Pattern>,
    allow_missing: bool,
    /// One log line a second for the refusals of this validator: a
    /// cross-site page hammering the server must not flood the log.
    refused: Arc<LogThrottle>,
}

impl Policy {
    /// Parses `allowed`, panicking with the fix for a bad entry: a wrong
    /// allowed list is a mistake to find at start-up, not per request.
    #[track_caller]
    fn new<I>(allowed: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let patterns = allowed
            .into_iter()
            .map(|entry| Pattern::parse(entry.as_ref()).unwrap_or_else(|err| panic!("{err}")))
            .collect();
        Self {
            patterns,
            allow_missing: true,
            refused: Arc::default(),
        }
    }

    /// Why `scope`'s origin is refused, or `None` when it is allowed.
    fn refuses(&self, scope: &Scope) -> Option<String> {
        let mut origins = scope.headers().get_all(header::ORIGIN).iter();
        let Some(value) = origins.next() else {
            let allowed = self.allow_missing || self.patterns.contains(&Pattern::Any);
            return (!allowed).then(|| "(none)".to_owned());
        };
        let shown = || String::from_utf8_lossy(value.as_bytes()).into_owned();
        // Browsers send one; two can only come from a client making trouble.
        if origins.next().is_some() {
            return Some(format!("{} (and another Origin header)", shown()));
        }
        let allowed = match value.to_str().ok().and_then(Origin::parse) {
            Some(origin) => self.patterns.iter().any(|p| p.allows(&origin)),
            None => self.patterns.contains(&Pattern::Any),
        };
        (!allowed).then(shown)
    }
}

impl<A> OriginValidator<A> {
    /// Wraps `inner`, allowing the origins in `allowed` (see the table
    /// above).
    ///
    /// # Panics
    ///
    /// Panics at start-up, saying how to write it, on an entry that
    /// cannot mean what its author wants: `*.example.com` (write
    /// `.example.com`), a path, or a port that is no number.
    #[track_caller]
    pub fn new<I>(inner: A, allowed: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self {
            inner,
            policy: Arc::new(Policy::new(allowed)),
        }
    }

    /// Whether a handshake with no `Origin` header, which only clients
    /// that are not browsers make, is accepted (the default) or refused
    /// with 403 as in Channels.
    pub fn allow_missing_origin(mut self, allow: bool) -> Self {
        Arc::make_mut(&mut self.policy).allow_missing = allow;
        self
    }
}

/// Refuses WebSocket handshakes from pages on sites other than the hosts
/// in `allowed_hosts`: Channels' `AllowedHostsOriginValidator`, which
/// Channels' tutorial wraps its router in.
///
/// Pass your Django `ALLOWED_HOSTS`: `example.com`, `.example.com`, `*`,
/// and, unlike Django, `host:port` for one port only. For development,
/// Channels allows `localhost`, `127.0.0.1` and `[::1]` when the list is
/// empty; here the list is written out, so nothing is allowed by surprise.
///
/// ```
/// use aqueduct_core::{NoEvents, WebsocketConsumer};
/// use aqueduct_middleware::AllowedHostsOriginValidator;
///
/// #[derive(Default)]
/// struct ChatConsumer;
/// impl WebsocketConsumer for ChatConsumer {
///     type Event = NoEvents;
/// }
///
/// let app = AllowedHostsOriginValidator::new(ChatConsumer::default, ["localhost:8000", "127.0.0.1:8000"]);
/// # let _ = app;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AllowedHostsOriginValidator;

impl AllowedHostsOriginValidator {
    /// Wraps `inner`, allowing pages served from `allowed_hosts`.
    ///
    /// # Panics
    ///
    /// Panics at start-up, saying how to fix it, when `allowed_hosts` is
    /// empty (no browser could connect), when an entry has a scheme (that
    /// is an origin: use [`OriginValidator`]), or on an entry
    /// [`OriginValidator::new`] refuses.
    #[track_caller]
    #[allow(clippy::new_ret_no_self)]
    pub fn new<A, I>(inner: A, allowed_hosts: I) -> OriginValidator<A>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let hosts: Vec<String> = allowed_hosts
            .into_iter()
            .map(|host| host.as_ref().to_owned())
            .collect();
        assert!(
            !hosts.is_empty(),
            "AllowedHostsOriginValidator::new: no allowed hosts, so no browser could connect; \
             pass your ALLOWED_HOSTS, or [\"localhost\", \"127.0.0.1\", \"[::1]\"] in development"
        );
        if let Some(origin) = hosts.iter().find(|host| host.contains("://")) {
            panic!(
                "AllowedHostsOriginValidator::new: {origin:?} is an origin, not a host; \
                 write the host alone, or use OriginValidator::new for scheme://host patterns"
            );
        }
        OriginValidator::new(inner, hosts)
    }
}

impl<A: WebsocketApp> WebsocketApp for OriginValidator<A> {
    // Not `async`: an allowed handshake runs the inner application's own
    // future, so the check costs the connection no memory.
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        let Some(origin) = self.policy.refuses(&scope) else {
            return self.inner.call(scope, io);
        };
        if let Some(suppressed) = self.policy.refused.hit() {
            tracing::info!(origin, suppressed, "origin not allowed; refusing with 403");
        }
        let deny = Deny::new(StatusCode::FORBIDDEN).with_body("Origin not allowed");
        Box::pin(Refusal::from(deny).refuse(io))
    }
}

impl<A: Clone> Clone for OriginValidator<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            policy: self.policy.clone(),
        }
    }
}

impl<A> fmt::Debug for OriginValidator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginValidator")
            .field("allowed", &self.policy.patterns)
            .field("allow_missing_origin", &self.policy.allow_missing)
            .finish_non_exhaustive()
    }
}

/// Wraps applications in an [`OriginValidator`]: a [`tower::Layer`].
#[derive(Clone, Debug)]
pub struct OriginValidatorLayer {
    policy: Arc<Policy>,
}

impl OriginValidatorLayer {
    /// A layer allowing the origins in `allowed`, as
    /// [`OriginValidator::new`] does (and panicking as it does), for a
    /// stack built with `tower::ServiceBuilder`.
    ///
    /// ```
    /// use aqueduct_core::{NoEvents, WebsocketConsumer};
    /// use aqueduct_middleware::OriginValidatorLayer;
    /// use tower::ServiceBuilder;
    ///
    /// #[derive(Default)]
    /// struct ChatConsumer;
    /// impl WebsocketConsumer for ChatConsumer {
    ///     type Event = NoEvents;
    /// }
    ///
    /// let app = ServiceBuilder::new()
    ///     .layer(OriginValidatorLayer::new(["chat.example.com"]))
    ///     .service(ChatConsumer::default);
    /// # let _ = app;
    /// ```
    #[track_caller]
    pub fn new<I>(allowed: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self {
            policy: Arc::new(Policy::new(allowed)),
        }
    }

    /// Whether a handshake with no `Origin` header is accepted (the
    /// default); see [`OriginValidator::allow_missing_origin`].
    pub fn allow_missing_origin(mut self, allow: bool) -> Self {
        Arc::make_mut(&mut self.policy).allow_missing = allow;
        self
    }
}

impl<A> Layer<A> for OriginValidatorLayer {
    type Service = OriginValidator<A>;

    fn layer(&self, inner: A) -> OriginValidator<A> {
        OriginValidator {
            inner,
            policy: self.policy.clone(),
        }
    }
}
