use aqueduct_core::{Context, Message, NoEvents, Outbound, Result, WebsocketConsumer};
use async_trait::async_trait;
use http::StatusCode;

use super::*;
use crate::test_support::{Probes, Visit};

const UUID: &str = "0b2d3f4a-5c6e-4f80-9a1b-2c3d4e5f6a7b";

/// The parameters a visit captured, as `name=value` pairs, or `None` when
/// no application got the connection.
fn captured(visit: &Visit) -> Option<String> {
    let params = visit.scope.as_ref()?.params().iter();
    let pairs: Vec<String> = params
        .map(|p| format!("{}={}", p.name(), p.value()))
        .collect();
    Some(pairs.join(" "))
}

#[tokio::test]
async fn converters_and_leading_slash() {
    let uuid = format!("/ws/{UUID}/");
    let upper_uuid = format!("/ws/{}/", UUID.to_uppercase());
    let uuid_param = format!("u={UUID}");
    // (pattern, path, parameters captured or `None` for 404)
    #[rustfmt::skip]
    let cases = [
        ("ws/chat/<room_name>/", "/ws/chat/lobby/",                 Some("room_name=lobby")),
        ("ws/chat/<str:room>/",  "/ws/chat/caf%C3%A9/",             Some("room=café")),
        ("ws/chat/<room>/",      "/ws/chat//",                      None),
        ("ws/chat/<room>/",      "/ws/chat/a/b/",                   None),
        ("ws/game/<int:id>/",    "/ws/game/42/",                    Some("id=42")),
        ("ws/game/<int:id>/",    "/ws/game/4x/",                    None),
        ("ws/game/<int:id>/",    "/ws/game/-4/",                    None),
        ("ws/game/<int:id>/",    "/ws/game/99999999999999999999/",  None),
        ("ws/<slug:s>/",         "/ws/my-room_1/",                  Some("s=my-room_1")),
        ("ws/<slug:s>/",         "/ws/my.room/",                    None),
        ("ws/<uuid:u>/",         &uuid,                             Some(&uuid_param[..])),
        ("ws/<uuid:u>/",         &upper_uuid,                       None),
        ("files/<path:p>",       "/files/a/b.txt",                  Some("p=a/b.txt")),
        ("files/<path:p>",       "/files/",                         None),
        ("img-<int:id>.png",     "/img-7.png",                      Some("id=7")),
        ("ws/<a>/<int:b>/",      "/ws/x/2/",                        Some("a=x b=2")),
        ("/ws/echo/",            "/ws/echo/",                       Some("")),
        ("ws/echo/",             "/ws/echo/",                       Some("")),
        ("ws/echo/",             "/ws/echo/?token=abc",             Some("")),
        ("ws/echo/",             "/ws/echo",                        None),
        ("",                     "/",                               Some("")),
    ];
    let probes = Probes::new();
    for (pattern, path, expected) in cases {
        let router = UrlRouter::new().route(pattern, probes.app("app"));
        let visit = probes.connect(&router, path).await;
        assert_eq!(
            captured(&visit).as_deref(),
            expected,
            "{pattern:?} on {path:?}"
        );
        let refused = expected.is_none().then_some(StatusCode::NOT_FOUND);
        assert_eq!(visit.denied(), refused, "{pattern:?} on {path:?}");
    }
}

#[tokio::test]
async fn int_parameters_have_a_typed_getter() {
    let probes = Probes::new();
    let router = UrlRouter::new().route("ws/<room>/<int:page>/", probes.app("app"));
    let visit = probes.connect(&router, "/ws/lobby/007/").await;
    let scope = visit.scope();
    assert_eq!(scope.param_int("page"), Some(7));
    assert_eq!(scope.param("page"), Some("007"));
    assert_eq!(scope.param("room"), Some("lobby"));
    assert_eq!(scope.param_int("room"), None);
    assert_eq!(scope.path_remaining(), Some(""));
}

#[tokio::test]
async fn routes_are_tried_in_the_order_they_were_added() {
    // (routes in the order added, path, the route that gets it)
    #[rustfmt::skip]
    let cases: [(&[&'static str], &str, Option<&str>); 9] = [
        (
            &["ws/<room>/", "ws/lobby/"],
            "/ws/lobby/",
            Some("ws/<room>/"),
        ),
        (
            &["ws/lobby/", "ws/<room>/"],
            "/ws/lobby/",
            Some("ws/lobby/"),
        ),
        (
            &["ws/lobby/", "ws/<room>/"],
            "/ws/other/",
            Some("ws/<room>/"),
        ),
        (
            &["ws/<path:p>", "ws/<int:id>/"],
            "/ws/7/",
            Some("ws/<path:p>"),
        ),
        (
            &["ws/<int:id>/", "ws/<slug:s>/"],
            "/ws/7/",
            Some("ws/<int:id>/"),
        ),
        (
            &["ws/<int:id>/", "ws/<slug:s>/"],
            "/ws/seven/",
            Some("ws/<slug:s>/"),
        ),
        (&["ws/<int:id>/", "ws/<slug:s>/"], "/ws/a.b/", None),
        // A converter that refuses lets a later route of another shape try.
        (
            &["ws/<int:id>/", "ws/<path:p>"],
            "/ws/a.b/",
            Some("ws/<path:p>"),
        ),
        (
            &["ws/<int:id>/", "ws/<path:p>"],
            "/ws/7/",
            Some("ws/<int:id>/"),
        ),
    ];
    let probes = Probes::new();
    for (patterns, path, expected) in cases {
        let router = patterns.iter().fold(UrlRouter::new(), |router, &p| {
            router.route(p, probes.app(p))
        });
        let visit = probes.connect(&router, path).await;
        assert_eq!(visit.app, expected, "{patterns:?} on {path:?}");
    }
}

#[tokio::test]
async fn nested_routers_merge_parameters() {
    let probes = Probes::new();
    let inner = || {
        UrlRouter::new()
            .route("chat/<room>/", probes.app("chat"))
            .route("<int:id>/", probes.app("int"))
    };
    // (outer prefix, path, parameters the consumer sees)
    #[rustfmt::skip]
    let cases = [
        ("ws/<t>/",  "/ws/acme/chat/lobby/", Some("t=acme room=lobby")),
        ("ws/<id>/", "/ws/outer/7/",         Some("id=7")),
        // A prefix without a trailing slash leaves no leading slash behind.
        ("ws",       "/ws/chat/x/",          Some("room=x")),
        ("ws/<t>/",  "/ws/acme/nothing/",    None),
    ];
    for (prefix, path, expected) in cases {
        let router = UrlRouter::new().nest(prefix, inner());
        let visit = probes.connect(&router, path).await;
        assert_eq!(
            captured(&visit).as_deref(),
            expected,
            "{prefix:?} on {path:?}"
        );
    }
    // The inner capture replaces the outer one, and keeps its integer.
    let router = UrlRouter::new().nest("ws/<id>/", inner());
    let visit = probes.connect(&router, "/ws/outer/7/").await;
    assert_eq!(visit.scope().param_int("id"), Some(7));
    // Routers nest to any depth.
    let deepest = UrlRouter::new().route("<v>/", probes.app("v"));
    let router = UrlRouter::new().nest("ws/", UrlRouter::new().nest("api/", deepest));
    let visit = probes.connect(&router, "/ws/api/2/").await;
    assert_eq!(captured(&visit).as_deref(), Some("v=2"));
}

#[tokio::test]
async fn an_inner_router_without_a_match_falls_through() {
    let probes = Probes::new();
    let router = UrlRouter::new()
        .nest(
            "ws/",
            UrlRouter::new()
                .route("chat/<room>/", probes.app("chat"))
                .route("", probes.app("root")),
        )
        .route("ws/<path:rest>", probes.app("fallback"));
    let cases = [
        ("/ws/chat/lobby/", Some("chat")),
        ("/ws/", Some("root")),
        ("/ws/games/1/", Some("fallback")),
        ("/api/", None),
    ];
    for (path, expected) in cases {
        assert_eq!(
            probes.connect(&router, path).await.app,
            expected,
            "{path:?}"
        );
    }
}

/// Middleware around a router, mounted with `nest_app`.
struct Wrapped(UrlRouter);

impl WebsocketApp for Wrapped {
    fn call(&self, scope: Scope, io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        self.0.call(scope, io)
    }
}

#[tokio::test]
async fn nest_app_mounts_any_app_with_the_rest_of_the_path() {
    let probes = Probes::new();
    let router = UrlRouter::new()
        .nest_app("ws/<tenant>/", probes.app("mounted"))
        .nest_app(
            "api/",
            Wrapped(UrlRouter::new().route("v<int:n>/", probes.app("inner"))),
        );

    let visit = probes.connect(&router, "/ws/acme/chat/lobby/").await;
    assert_eq!(visit.app, Some("mounted"));
    assert_eq!(visit.scope().path_remaining(), Some("chat/lobby/"));
    assert_eq!(visit.scope().param("tenant"), Some("acme"));

    let visit = probes.connect(&router, "/api/v2/").await;
    assert_eq!(visit.app, Some("inner"));
    assert_eq!(visit.scope().param_int("n"), Some(2));
}

#[tokio::test]
async fn no_match_refuses_with_404_naming_the_path() {
    let probes = Probes::new();
    let router = UrlRouter::new().route("ws/chat/<room>/", probes.app("chat"));
    let visit = probes.connect(&router, "/ws/nope/").await;
    assert_eq!(visit.app, None);
    assert_eq!(visit.denied(), Some(StatusCode::NOT_FOUND));
    assert_eq!(
        visit.deny_body(),
        Some("No route found for path \"/ws/nope/\".")
    );
    assert_eq!(visit.sent.len(), 1);
}

#[derive(Default)]
struct RoomConsumer;

#[async_trait]
impl WebsocketConsumer for RoomConsumer {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        let room = ctx.scope().param("room").unwrap_or("?").to_owned();
        ctx.send(Message::text(room)).await
    }
}

#[tokio::test]
async fn consumer_factories_route_and_read_their_parameters() {
    let router = UrlRouter::new().route("ws/chat/<room>/", RoomConsumer::default);
    let visit = Probes::new().connect(&router, "/ws/chat/lobby/").await;
    assert!(
        matches!(visit.sent[0], Outbound::Accept(_)),
        "{:?}",
        visit.sent
    );
    assert_eq!(visit.sent[1], Outbound::Send(Message::text("lobby")));
}

/// Regression: `route` once sniffed a `UrlRouter` with `Any` and nested
/// it; now `route` takes endpoints, so only `nest` makes a prefix.
#[tokio::test]
async fn only_nest_makes_a_prefix() {
    let probes = Probes::new();
    let inner = || UrlRouter::new().route("chat/<room>/", probes.app("chat"));
    let routed = UrlRouter::new().route("ws/", inner());
    let nested = UrlRouter::new().nest("ws/", inner());
    assert_eq!(probes.connect(&routed, "/ws/chat/lobby/").await.app, None);
    assert_eq!(
        probes.connect(&nested, "/ws/chat/lobby/").await.app,
        Some("chat")
    );
}

#[test]
fn debug_lists_the_routes() {
    let router = UrlRouter::new()
        .route("ws/<room>/", RoomConsumer::default)
        .nest("api/", UrlRouter::new().route("v1/", RoomConsumer::default));
    let debug = format!("{router:?}");
    assert!(debug.contains(r#""ws/<room>/" => WebsocketApp"#), "{debug}");
    assert!(
        debug.contains(r#""api/" => UrlRouter { routes: ["v1/" => WebsocketApp]"#),
        "{debug}"
    );
}

macro_rules! panics {
    ($($test:ident: $build:expr => $message:literal;)*) => {$(
        #[test]
        #[should_panic(expected = $message)]
        fn $test() {
            let _ = $build;
        }
    )*};
}

fn app() -> impl WebsocketApp {
    RoomConsumer::default
}

panics! {
    unknown_converter: UrlRouter::new().route("ws/<foo:x>/", app())
        => r#"Invalid route "ws/<foo:x>/": unknown converter `foo`; use one of str, int, slug, uuid, path"#;
    unclosed_bracket: UrlRouter::new().route("ws/<int:id/", app())
        => r#"Invalid route "ws/<int:id/": the `<` at byte 3 is never closed; close it with `>`"#;
    empty_name: UrlRouter::new().route("ws/<int:>/", app())
        => r#"Invalid route "ws/<int:>/": a parameter has an empty name"#;
    bad_name: UrlRouter::new().route("ws/<room-name>/", app())
        => r#"Invalid route "ws/<room-name>/": `room-name` is not a valid parameter name"#;
    duplicate_name: UrlRouter::new().route("<id>/<int:id>/", app())
        => r#"Invalid route "<id>/<int:id>/": the parameter `id` appears twice"#;
    shared_segment: UrlRouter::new().route("<a>-<b>/", app())
        => "`<a>` and `<b>` share one path segment";
    path_not_last: UrlRouter::new().route("files/<path:p>/raw/", app())
        => "`<path:p>` must end the pattern";
    prefix_ends_with_param: UrlRouter::new().nest("ws/<room>", UrlRouter::new())
        => r#"Invalid route "ws/<room>": a nested router's prefix cannot end with the parameter `room`; end the prefix with `/`"#;
    path_in_prefix: UrlRouter::new().nest("ws/<path:p>", UrlRouter::new())
        => "a nested router's prefix cannot hold `<path:p>`";
    same_route_twice: UrlRouter::new().route("ws/<int:a>/", app()).route("/ws/<int:b>/", app())
        => r#"Invalid route "/ws/<int:b>/": it can never match, because the earlier route "ws/<int:a>/" matches every path it matches"#;
    broader_route_first: UrlRouter::new().route("ws/<room>/", app()).route("ws/<uuid:id>/", app())
        => r#"the earlier route "ws/<room>/" matches every path"#;
    same_mount_twice: UrlRouter::new().nest_app("ws/", app()).nest_app("ws/", app())
        => r#"Invalid route "ws/": it can never match"#;
}

#[test]
fn try_route_returns_what_route_panics_with() {
    use crate::PatternError;
    #[rustfmt::skip]
    let cases = [
        ("ws/<foo:x>/",  PatternError::UnknownConverter { converter: "foo".into() }),
        ("ws/<int:>/",   PatternError::EmptyName),
        ("<a>-<b>/",     PatternError::SharedSegment { first: "<a>".into(), second: "<b>".into() }),
        ("ws/<room>/",   PatternError::Shadowed { by: "ws/<room>/".into() }),
    ];
    let router = UrlRouter::new().route("ws/<room>/", app());
    for (pattern, expected) in cases {
        let err = router.clone().try_route(pattern, app()).unwrap_err();
        assert_eq!(err, expected, "{pattern:?}");
    }
    assert!(router.try_route("ws/chat/<room>/", app()).is_ok());
}
