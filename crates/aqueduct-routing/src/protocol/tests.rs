use std::convert::Infallible;

use ::http::{Method, StatusCode};
use aqueduct_core::InMemoryChannelLayer;
use axum::routing::{get, post};
use http_body_util::BodyExt;

use super::*;
use crate::test_support::Probes;

/// Sends `method path` with the body `ping`; returns status and body.
async fn request(app: &ProtocolTypeRouter, method: Method, path: &str) -> (StatusCode, String) {
    let request = Request::builder().method(method).uri(path);
    let response = app
        .call_http(request.body(Body::from("ping")).unwrap())
        .await;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn an_axum_router_serves_the_http_arm() {
    let axum = axum::Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/echo",
            post(|body: String| async move { format!("got {body}") }),
        );
    let app = ProtocolTypeRouter::new().http(axum);
    let cases = [
        (Method::GET, "/", StatusCode::OK, "hello"),
        (Method::POST, "/echo", StatusCode::OK, "got ping"),
        (Method::GET, "/missing", StatusCode::NOT_FOUND, ""),
    ];
    for (method, path, status, body) in cases {
        assert_eq!(
            request(&app, method, path).await,
            (status, body.to_owned()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn http_without_an_arm_or_with_a_failing_one() {
    let failing = tower::service_fn(|_: Request<Body>| async {
        Err::<Response<Body>, _>(std::io::Error::other("database is down"))
    });
    #[rustfmt::skip]
    let cases = [
        (ProtocolTypeRouter::new(),              StatusCode::NOT_FOUND,             "Not Found"),
        (ProtocolTypeRouter::new().http(failing), StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    ];
    for (app, status, body) in cases {
        assert_eq!(
            request(&app, Method::GET, "/").await,
            (status, body.to_owned())
        );
    }
}

#[tokio::test]
async fn the_channel_layer_reaches_the_consumer_scope() {
    let probes = Probes::new();
    let layer: Arc<dyn ChannelLayer> = Arc::new(InMemoryChannelLayer::new());
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/chat/<room>/", probes.app("chat")))
        .with_channel_layer(layer.clone());
    let visit = probes.connect(&app, "/ws/chat/lobby/").await;
    assert_eq!(visit.app, Some("chat"));
    assert!(Arc::ptr_eq(visit.scope().channel_layer().unwrap(), &layer));
    assert_eq!(visit.scope().param("room"), Some("lobby"));

    let app = ProtocolTypeRouter::new()
        .websocket(probes.app("echo"))
        .with_channel_layer(InMemoryChannelLayer::new());
    let visit = probes.connect(&app, "/ws/echo/").await;
    assert!(visit.scope().channel_layer().is_some());
}

#[tokio::test]
async fn websocket_without_an_arm_is_refused_with_404() {
    let http = tower::service_fn(|_: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Body::empty()))
    });
    let app = ProtocolTypeRouter::new().http(http);
    let visit = Probes::new().connect(&app, "/ws/").await;
    assert_eq!(visit.denied(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn a_url_router_converts_into_a_websocket_only_router() {
    let probes = Probes::new();
    let app = ProtocolTypeRouter::from(UrlRouter::new().route("ws/", probes.app("ws")));
    assert!(app.has_websocket() && !app.has_http());
    assert_eq!(probes.connect(&app, "/ws/").await.app, Some("ws"));
    let (status, _) = request(&app, Method::GET, "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
