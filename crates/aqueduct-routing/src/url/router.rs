//! `UrlRouter`: picks a WebSocket application by path, as Channels' `URLRouter`.

use std::fmt;
use std::sync::Arc;

use aqueduct_core::{AppFuture, BoxWebsocketApp, Param, Scope, WebsocketApp, WebsocketIo};

use super::routes::{Route, Routes, expect_route};
use crate::app::{boxed, deny_not_found};
use crate::error::PatternError;

/// Routes each WebSocket connection to an application by its path, with
/// Django `path()` patterns: Channels' `URLRouter`.
///
/// Patterns are written without the leading `/` (it is optional), and
/// capture parameters with converters: `<name>` or `<str:name>` (one
/// segment), `<int:name>` (digits, read with
/// [`Scope::param_int`]), `<slug:name>`, `<uuid:name>` and `<path:name>`
/// (the rest of the path). The consumer reads them from its scope.
///
/// **Order.** Routes are tried in the order they were added, as Channels
/// does, whatever their shape: a parameter route added before a static
/// one wins for the paths both match. A route whose converters refuse the
/// path lets the next route try.
///
/// **Nesting.** [`nest`](Self::nest) mounts another `UrlRouter` under a
/// prefix: the inner router matches what is left, and the parameters of
/// both are merged (the inner ones win a name clash). If the inner router
/// has no match, the outer router goes on with its next route.
/// [`nest_app`](Self::nest_app) mounts any other application under a
/// prefix; that application finds the unmatched rest in
/// [`Scope::path_remaining`].
///
/// **No match** refuses the handshake with `404 Not Found`; Channels
/// raises instead, which Daphne turns into a 500.
///
/// ```
/// use aqueduct_core::{Context, NoEvents, Result, WebsocketConsumer};
/// use aqueduct_routing::UrlRouter;
/// use async_trait::async_trait;
///
/// #[derive(Default)]
/// struct ChatConsumer;
///
/// #[async_trait]
/// impl WebsocketConsumer for ChatConsumer {
///     type Event = NoEvents;
///
///     async fn connect(&mut self, ctx: &mut Context) -> Result {
///         let room = ctx.scope().param("room_name").unwrap_or_default();
///         tracing::info!(room, "joining");
///         ctx.accept().await
///     }
/// }
///
/// #[derive(Default)]
/// struct GameConsumer;
///
/// #[async_trait]
/// impl WebsocketConsumer for GameConsumer {
///     type Event = NoEvents;
///
///     async fn connect(&mut self, ctx: &mut Context) -> Result {
///         let Some(game_id) = ctx.scope().param_int("game_id") else {
///             return ctx.deny().await;
///         };
///         tracing::info!(game_id, "watching");
///         ctx.accept().await
///     }
/// }
///
/// let games = UrlRouter::new().route("<int:game_id>/", GameConsumer::default);
/// let router = UrlRouter::new()
///     .route("ws/chat/<room_name>/", ChatConsumer::default)
///     .nest("ws/games/", games);
/// # let _ = router;
/// ```
#[derive(Clone, Default)]
pub struct UrlRouter {
    routes: Routes<Target>,
}

#[derive(Clone)]
enum Target {
    /// The pattern matches the whole path.
    Endpoint(BoxWebsocketApp),
    /// The pattern is a prefix; the inner router matches the rest.
    Nested(Arc<UrlRouter>),
    /// The pattern is a prefix; the app gets the rest in `path_remaining`.
    Mount(BoxWebsocketApp),
}

/// The route that matched, and what it captured.
struct Found<'r> {
    app: &'r BoxWebsocketApp,
    params: Vec<Param>,
    rest: String,
}

impl UrlRouter {
    /// Creates a router with no routes; every connection gets 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends connections whose path matches `pattern` to `app`.
    ///
    /// `app` is an endpoint: a consumer factory (`ChatConsumer::default`)
    /// or any other [`WebsocketApp`], and `pattern` matches the whole
    /// path. To mount another `UrlRouter` under a prefix, use
    /// [`nest`](Self::nest); a router passed here is an endpoint too, and
    /// matches its own patterns against the whole path.
    ///
    /// # Panics
    ///
    /// Panics when `pattern` is malformed (an unknown converter, an
    /// unclosed `<`, a bad, empty or repeated parameter name, two
    /// parameters in one segment, `<path:…>` before the end) or when an
    /// earlier route matches every path this one would, so it could never
    /// be reached. The message names the pattern and says how to fix it.
    #[track_caller]
    pub fn route<A: WebsocketApp>(self, pattern: &str, app: A) -> Self {
        self.add(pattern, Target::Endpoint(boxed(app)))
    }

    /// [`route`](Self::route) that returns a malformed or unreachable
    /// pattern as an error instead of panicking, for routes built from
    /// configuration.
    ///
    /// ```
    /// use aqueduct_routing::{PatternError, UrlRouter};
    /// # #[derive(Default)] struct RoomConsumer;
    /// # impl aqueduct_core::WebsocketConsumer for RoomConsumer { type Event = aqueduct_core::NoEvents; }
    ///
    /// let router = UrlRouter::new().try_route("ws/<room>/", RoomConsumer::default)?;
    /// let err = router.try_route("ws/<slug:room>/", RoomConsumer::default).unwrap_err();
    /// assert_eq!(err, PatternError::Shadowed { by: "ws/<room>/".to_owned() });
    /// # Ok::<(), PatternError>(())
    /// ```
    pub fn try_route<A: WebsocketApp>(self, pattern: &str, app: A) -> Result<Self, PatternError> {
        self.try_add(pattern, Target::Endpoint(boxed(app)))
    }

    /// Mounts `router` under `prefix`: axum's `nest`, Channels'
    /// `path("ws/", URLRouter([...]))`.
    ///
    /// `router` matches what is left of the path after `prefix`; the
    /// parameters of both are merged. When `router` has no match, the
    /// outer router goes on with its next route.
    ///
    /// ```
    /// use aqueduct_routing::UrlRouter;
    /// # #[derive(Default)] struct RoomConsumer;
    /// # impl aqueduct_core::WebsocketConsumer for RoomConsumer {
    /// #     type Event = aqueduct_core::NoEvents;
    /// # }
    ///
    /// let rooms = UrlRouter::new().route("<room>/", RoomConsumer::default);
    /// let router = UrlRouter::new().nest("ws/rooms/", rooms);
    /// # let _ = router;
    /// ```
    ///
    /// # Panics
    ///
    /// As [`route`](Self::route), and also when `prefix` holds a
    /// `<path:…>` parameter or ends with a parameter (end it with `/`).
    #[track_caller]
    pub fn nest(self, prefix: &str, router: UrlRouter) -> Self {
        self.add(prefix, Target::Nested(Arc::new(router)))
    }

    /// Mounts any application under `prefix`: axum's `nest_service`.
    ///
    /// `app`, such as middleware wrapping a `UrlRouter`, gets every
    /// connection whose path starts with `prefix`, with the rest in
    /// [`Scope::path_remaining`]; the outer router does not try later
    /// routes after it.
    ///
    /// ```
    /// use aqueduct_routing::UrlRouter;
    /// # #[derive(Default)] struct RoomConsumer;
    /// # impl aqueduct_core::WebsocketConsumer for RoomConsumer { type Event = aqueduct_core::NoEvents; }
    ///
    /// // Anything that reads `Scope::path_remaining` fits, a `UrlRouter`
    /// // wrapped in middleware for one.
    /// let rooms = UrlRouter::new().route("<room>/", RoomConsumer::default);
    /// let router = UrlRouter::new().nest_app("ws/rooms/", rooms);
    /// # let _ = router;
    /// ```
    ///
    /// # Panics
    ///
    /// As [`nest`](Self::nest).
    #[track_caller]
    pub fn nest_app<A: WebsocketApp>(self, prefix: &str, app: A) -> Self {
        self.add(prefix, Target::Mount(boxed(app)))
    }

    #[track_caller]
    fn add(self, source: &str, target: Target) -> Self {
        let added = self.try_add(source, target);
        expect_route(added, source)
    }

    fn try_add(mut self, source: &str, target: Target) -> Result<Self, PatternError> {
        let prefix = !matches!(target, Target::Endpoint(_));
        self.routes.add(source, target, prefix, hides)?;
        Ok(self)
    }

    /// Finds the route for `path` (no leading `/`): the earliest added
    /// whose converters accept it, looking into nested routers.
    fn find(&self, path: &str) -> Option<Found<'_>> {
        self.routes.first_match(path, try_match)
    }
}

/// Whether an earlier route that matches every path a new one would
/// makes it unreachable. Nested routers are never blamed: when they find
/// no match, the next route gets its turn.
fn hides(earlier: &Target, new: &Target) -> bool {
    !matches!(new, Target::Nested(_))
        && std::mem::discriminant(earlier) == std::mem::discriminant(new)
}

/// Runs the converters on what the tree matched, and the inner router on
/// the rest. `values` holds one text per parameter, then the rest for a
/// prefix route that matched more than its prefix.
fn try_match<'r>(route: &'r Route<Target>, values: &[&str]) -> Option<Found<'r>> {
    let mut params = route.pattern.convert(values)?;
    let rest = values.get(params.len()).copied().unwrap_or_default();
    let rest = strip_slash(rest);
    match &route.target {
        Target::Endpoint(app) => Some(Found {
            app,
            params,
            rest: String::new(),
        }),
        Target::Mount(app) => Some(Found {
            app,
            params,
            rest: rest.to_owned(),
        }),
        Target::Nested(router) => {
            let inner = router.find(rest)?;
            params.extend(inner.params);
            Some(Found { params, ..inner })
        }
    }
}

/// Channels strips the leading `/` before matching, so patterns read
/// `ws/chat/<room_name>/`.
pub(crate) fn strip_slash(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

// Not `async fn`: handing back the matched application's own future keeps
// the connection's task one future deep (see `AppFuture`).
impl WebsocketApp for UrlRouter {
    fn call(&self, mut scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        let path = strip_slash(scope.path_remaining().unwrap_or(scope.path()));
        let Some(Found { app, params, rest }) = self.find(path) else {
            tracing::info!(path = %scope.path(), "no route matches the path; refusing with 404");
            let body = format!("No route found for path {:?}.", scope.path());
            return Box::pin(deny_not_found(io, body));
        };
        scope.params_mut().extend(params);
        // Channels sets `path_remaining` to what the route left: nothing
        // for an endpoint, the rest for a mounted application.
        scope.set_path_remaining(Some(rest));
        app.call(scope, io)
    }
}

impl fmt::Debug for UrlRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlRouter")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Endpoint(_) => f.write_str("WebsocketApp"),
            Target::Mount(_) => f.write_str("mounted WebsocketApp"),
            Target::Nested(router) => fmt::Debug::fmt(router, f),
        }
    }
}

#[cfg(test)]
mod tests;
