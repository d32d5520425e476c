//! URL routing over real sockets: Django path converters, nesting, 404.

use aqueduct::prelude::*;
use aqueduct_tests::{TestServer, connect, connect_refused, recv_json};
use serde_json::{Value, json};

/// Sends back the URL parameters it was routed with, typed where the
/// converter gives a type.
#[derive(Debug, Default)]
struct ShowParams;

#[async_trait]
impl WebsocketConsumer for ShowParams {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        let mut params = serde_json::Map::new();
        for param in ctx.scope().params().iter() {
            let value = match param.as_int() {
                Some(int) => json!(int),
                None => json!(param.value()),
            };
            params.insert(param.name().to_owned(), value);
        }
        ctx.send_json(&params).await
    }
}

fn app() -> ProtocolTypeRouter {
    let rooms = UrlRouter::new()
        .route("messages/<int:message_id>/", ShowParams::default)
        .route("<slug:topic>/", ShowParams::default);
    UrlRouter::new()
        .route("ws/str/<name>/", ShowParams::default)
        .route("ws/typed/<str:name>/", ShowParams::default)
        .route("ws/int/<int:id>/", ShowParams::default)
        .route("ws/slug/<slug:slug>/", ShowParams::default)
        .route("ws/uuid/<uuid:id>/", ShowParams::default)
        .route("ws/files/<path:file>", ShowParams::default)
        .route("/ws/leading/", ShowParams::default)
        .nest("ws/rooms/<int:room>/", rooms)
        .into()
}

#[tokio::test]
async fn paths_route_by_django_converters() {
    let server = TestServer::start(app()).await;
    let table: &[(&str, Option<Value>)] = &[
        ("/ws/str/lobby/", Some(json!({"name": "lobby"}))),
        ("/ws/str/caf%C3%A9/", Some(json!({"name": "café"}))),
        ("/ws/str/a/b/", None),
        ("/ws/typed/lobby/", Some(json!({"name": "lobby"}))),
        ("/ws/int/42/", Some(json!({"id": 42}))),
        ("/ws/int/-1/", None),
        ("/ws/int/4x/", None),
        ("/ws/int/99999999999999999999/", None),
        (
            "/ws/slug/hello-world_2/",
            Some(json!({"slug": "hello-world_2"})),
        ),
        ("/ws/slug/not.a.slug/", None),
        (
            "/ws/uuid/123e4567-e89b-12d3-a456-426614174000/",
            Some(json!({"id": "123e4567-e89b-12d3-a456-426614174000"})),
        ),
        ("/ws/uuid/123E4567-E89B-12D3-A456-426614174000/", None),
        ("/ws/uuid/not-a-uuid/", None),
        ("/ws/files/a/b/c.txt", Some(json!({"file": "a/b/c.txt"}))),
        ("/ws/leading/", Some(json!({}))),
        (
            "/ws/rooms/7/messages/9/",
            Some(json!({"room": 7, "message_id": 9})),
        ),
        (
            "/ws/rooms/7/general/",
            Some(json!({"room": 7, "topic": "general"})),
        ),
        ("/ws/rooms/x/general/", None),
        ("/ws/nowhere/", None),
    ];
    for (path, expected) in table {
        let url = server.ws(path);
        match expected {
            Some(params) => {
                let mut client = connect(&url).await;
                assert_eq!(&recv_json(&mut client).await, params, "{path}");
            }
            None => assert_eq!(connect_refused(&url).await.0, 404, "{path}"),
        }
    }
    server.shutdown().await;
}
