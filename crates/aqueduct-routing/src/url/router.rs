//! `UrlRouter`: picks a WebSocket application by path, as Channels' `URLRouter`.

use std::fmt;
use std::sync::Arc;

use aqueduct_core::{AppFuture, BoxWebsocketApp, Param, Scope, WebsocketApp, WebsocketIo};

use super::pattern::Pattern;
use super::shape::Shape;
use super::table::Table;
use crate::app::{boxed, deny_not_found, downcast};
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
/// **Nesting.** Routing to another `UrlRouter` makes the pattern a prefix:
/// the inner router matches what is left, and the parameters of both are
/// merged (the inner ones win a name clash). If the inner router has no
/// match, the outer router goes on with its next route. [`nest`](Self::nest)
/// also mounts any other application under a prefix; that application
/// finds the unmatched rest in [`Scope::path_remaining`].
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
///     .route("ws/games/", games);
/// # let _ = router;
/// ```
#[derive(Clone, Default)]
pub struct UrlRouter {
    // Shared, so that a clone (one per handshake when the router is a
    // tower `Service`) copies two pointers, not the table.
    routes: Arc<Vec<Route>>,
    table: Arc<Table>,
}

#[derive(Clone)]
struct Route {
    pattern: Pattern,
    target: Target,
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
    /// `app` is a consumer factory (`ChatConsumer::default`), any other
    /// [`WebsocketApp`], or a `UrlRouter`, in which case `pattern` is a
    /// prefix and the inner router matches the rest of the path. A router
    /// wrapped in middleware is no longer recognised as one: mount it with
    /// [`nest`](Self::nest).
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
        match downcast::<UrlRouter, A>(app) {
            Ok(router) => self.add(pattern, Target::Nested(Arc::new(router))),
            Err(app) => self.add(pattern, Target::Endpoint(boxed(app))),
        }
    }

    /// Mounts `app` under `prefix`: axum's `nest`, Channels'
    /// `path("ws/", URLRouter([...]))`.
    ///
    /// With a `UrlRouter` this is the same as [`route`](Self::route). Any
    /// other application, such as middleware wrapping a `UrlRouter`, gets
    /// every connection whose path starts with `prefix`, with the rest in
    /// [`Scope::path_remaining`]; the outer router does not try later
    /// routes after it.
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
    pub fn nest<A: WebsocketApp>(self, prefix: &str, app: A) -> Self {
        match downcast::<UrlRouter, A>(app) {
            Ok(router) => self.add(prefix, Target::Nested(Arc::new(router))),
            Err(app) => self.add(prefix, Target::Mount(boxed(app))),
        }
    }

    #[track_caller]
    fn add(mut self, source: &str, target: Target) -> Self {
        let prefix = !matches!(target, Target::Endpoint(_));
        let parsed = Pattern::parse(source).and_then(|pattern| {
            if prefix {
                pattern.check_prefix()?;
            }
            Ok(pattern)
        });
        let pattern = match parsed {
            Ok(pattern) => pattern,
            Err(err) => panic!("Invalid route {source:?}: {err}"),
        };
        let exact = Shape::new(pattern.parts(), false);
        if let Some(by) = self.shadowing(&pattern, &target, &exact) {
            panic!(
                "Invalid route {source:?}: {}",
                PatternError::Shadowed { by }
            );
        }
        let id = self.routes.len();
        let table = Arc::make_mut(&mut self.table);
        if prefix {
            table.insert(Shape::new(pattern.parts(), true), id);
        }
        table.insert(exact, id);
        Arc::make_mut(&mut self.routes).push(Route { pattern, target });
        self
    }

    /// An earlier route that matches every path the new one would, so the
    /// new one could never be reached. Nested routers are never blamed:
    /// when they find no match, the next route gets its turn.
    fn shadowing(&self, pattern: &Pattern, target: &Target, shape: &Shape) -> Option<String> {
        let kind = std::mem::discriminant(target);
        self.table
            .routes_with(shape)
            .iter()
            .map(|&id| &self.routes[id])
            .find(|earlier| {
                !matches!(target, Target::Nested(_))
                    && std::mem::discriminant(&earlier.target) == kind
                    && earlier.pattern.covers(pattern)
            })
            .map(|earlier| earlier.pattern.source().to_owned())
    }

    /// Finds the route for `path` (no leading `/`): the earliest added
    /// whose converters accept it, looking into nested routers.
    fn find(&self, path: &str) -> Option<Found<'_>> {
        self.table
            .first_match(path, |route, values| self.routes[route].try_match(values))
    }
}

impl Route {
    /// Runs the converters on what the tree matched, and the inner router
    /// on the rest. `values` holds one text per parameter, then the rest
    /// for a prefix route that matched more than its prefix.
    fn try_match(&self, values: &[&str]) -> Option<Found<'_>> {
        let mut params = self.pattern.convert(values)?;
        let rest = values.get(params.len()).copied().unwrap_or_default();
        let rest = strip_slash(rest);
        match &self.target {
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

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} => ", self.pattern.source())?;
        match &self.target {
            Target::Endpoint(_) => f.write_str("WebsocketApp"),
            Target::Mount(_) => f.write_str("mounted WebsocketApp"),
            Target::Nested(router) => fmt::Debug::fmt(router, f),
        }
    }
}

#[cfg(test)]
mod tests;
