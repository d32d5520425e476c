//! An axum application that was there first, with aqueduct's chat added
//! in one line.
//!
//! The axum side is what an existing service looks like: a JSON REST API,
//! a static page, and tower-http middleware around all of it. The chat
//! consumers of `examples/chat` are mounted with `route_service` under
//! `/ws/chat/<room_name>/`, and the REST API reaches them through the same
//! channel layer.

mod api;

use std::sync::Arc;

use aqueduct::prelude::*;
use aqueduct::{ChannelLayer, Driver};
use axum::http::{HeaderValue, header};
use axum::response::Html;
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The application, and the driver of its WebSockets (which `main` shuts
/// down after axum, since axum no longer sees upgraded connections).
pub fn app() -> (axum::Router, Driver) {
    // One layer for both sides: consumers join groups on it, and the REST
    // API sends to those groups.
    let layer: Arc<dyn ChannelLayer> = Arc::new(InMemoryChannelLayer::new());
    let chat = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/chat/<room_name>/", mysite::ChatConsumer::default))
        .with_channel_layer(layer.clone());
    let websockets = chat.driver().clone();

    let router = axum::Router::new()
        .route(
            "/",
            get(|| async { Html(include_str!("../static/index.html")) }),
        )
        .nest("/api", api::router(layer))
        // The one line that adds aqueduct: the router is a tower Service.
        .route_service("/ws/chat/{room_name}/", chat)
        .layer(TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::overriding(
            header::SERVER,
            HeaderValue::from_static("example-axum"),
        ));
    (router, websockets)
}
