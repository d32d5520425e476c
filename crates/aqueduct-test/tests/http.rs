//! `HttpCommunicator`: requests reach the http arm as the server sends
//! them, and the whole response comes back.

use std::convert::Infallible;
use std::time::Duration;

use aqueduct_core::Body;
use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
use aqueduct_test::HttpCommunicator;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn app() -> ProtocolTypeRouter {
    let router = axum::Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/echo",
            post(|headers: HeaderMap, body: String| async move {
                let token = headers
                    .get("x-token")
                    .map(|v| v.to_str().unwrap().to_owned());
                format!("{body} from {}", token.unwrap_or_default())
            }),
        )
        .route(
            "/sum",
            post(|headers: HeaderMap, body: String| async move {
                if headers
                    .get("content-type")
                    .is_none_or(|v| v != "application/json")
                {
                    return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
                }
                let numbers: Vec<i64> = serde_json::from_str(&body).unwrap();
                let sum = json!({ "sum": numbers.iter().sum::<i64>() });
                Ok(([("content-type", "application/json")], sum.to_string()))
            }),
        )
        .route(
            "/query",
            get(|uri: axum::http::Uri| async move { uri.query().unwrap_or_default().to_owned() }),
        );
    ProtocolTypeRouter::new().http(router)
}

#[tokio::test]
async fn requests_reach_the_http_arm_with_their_method_headers_and_body() {
    #[rustfmt::skip]
    let table = [
        (HttpCommunicator::new(app(), Method::GET, "/"),                          StatusCode::OK,                 "home"),
        (HttpCommunicator::new(app(), "POST", "/echo").body("ping").header("x-token", "t1"), StatusCode::OK,  "ping from t1"),
        (HttpCommunicator::new(app(), "GET", "/query?page=2"),                    StatusCode::OK,                 "page=2"),
        (HttpCommunicator::new(app(), "GET", "/missing"),                         StatusCode::NOT_FOUND,          ""),
        (HttpCommunicator::new(app(), "DELETE", "/"),                             StatusCode::METHOD_NOT_ALLOWED, ""),
        (HttpCommunicator::new(app(), "POST", "/sum").body("[1]"),                StatusCode::UNSUPPORTED_MEDIA_TYPE, ""),
    ];
    for (communicator, status, body) in table {
        let label = format!("{communicator:?}");
        let response = communicator.get_response().await;
        assert_eq!(response.status, status, "{label}");
        assert_eq!(response.text(), body, "{label}");
    }
}

#[tokio::test]
async fn json_in_and_out() {
    let response = HttpCommunicator::new(app(), "POST", "/sum")
        .json(&[1, 2, 39])
        .get_response()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json::<Value>(), json!({"sum": 42}));
}

#[tokio::test]
async fn the_routers_own_answers_come_through() {
    let failing = tower::service_fn(|_: http::Request<Body>| async {
        Err::<http::Response<Body>, _>(std::io::Error::other("database is down"))
    });
    #[rustfmt::skip]
    let table = [
        (ProtocolTypeRouter::new(),               StatusCode::NOT_FOUND,             "Not Found"),
        (UrlRouter::new().into(),                 StatusCode::NOT_FOUND,             "Not Found"),
        (ProtocolTypeRouter::new().http(failing), StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    ];
    for (app, status, body) in table {
        let response = HttpCommunicator::new(app, "GET", "/").get_response().await;
        assert_eq!((response.status, response.text()), (status, body));
    }
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "get_response timed out after 5s")]
async fn a_response_that_never_finishes_fails_the_test() {
    let stuck = tower::service_fn(|_: http::Request<Body>| async {
        std::future::pending::<Result<http::Response<Body>, Infallible>>().await
    });
    HttpCommunicator::new(ProtocolTypeRouter::new().http(stuck), "GET", "/")
        .timeout(Duration::from_secs(5))
        .get_response()
        .await;
}
