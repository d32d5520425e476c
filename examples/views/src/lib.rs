//! Views in the style of Django's `dwebsocket`: one async function answers
//! plain HTTP and WebSocket at the same URL, reading messages in a loop.
//!
//! Run with `cargo run -p example-views`, then open
//! <http://127.0.0.1:8002/echo/?message=hi>.
//!
//! - `/echo/`: `GET /echo/?message=hi` answers `hi`; a WebSocket gets
//!   every message back.
//! - `/ws-only/`: WebSockets only (plain HTTP gets `400`); echoes one
//!   message, then closes.
//! - `/batch/`: WebSockets only; answers each burst of messages in one
//!   reply, with `count_messages()` and `read()`.
//!
//! The views share the server with an axum page at `/` and a consumer at
//! `/ws/shout/`: whatever no view matches goes on to those.

use aqueduct::http::StatusCode;
use aqueduct::prelude::*;
use aqueduct::views::{
    IntoViewResponse, ViewRequest, ViewResponse, Views, accept_websocket, require_websocket,
};
use futures_util::StreamExt;

/// dwebsocket's `@accept_websocket` echo: plain HTTP answers the
/// `message` query parameter, a WebSocket gets every message back.
pub async fn echo(mut request: ViewRequest) -> Result<ViewResponse> {
    let Some(ws) = request.websocket() else {
        // `request.GET["message"]`; without one, say how to ask.
        return Ok(match request.query_param("message") {
            Some(message) => message.to_owned().into_view_response(),
            None => {
                (StatusCode::BAD_REQUEST, "Add a message: /echo/?message=hi").into_view_response()
            }
        });
    };
    // `for message in request.websocket:` is a loop over a `Stream`.
    while let Some(message) = ws.next().await {
        ws.send(message).await?;
    }
    // Returning closes the WebSocket with 1000; the response is not sent.
    Ok(().into_view_response())
}

/// dwebsocket's `@require_websocket` example: echoes one message, then
/// returns, which closes the connection.
pub async fn ws_only(mut request: ViewRequest) -> Result {
    // `require_websocket` answers plain HTTP with 400 before the view runs.
    let Some(ws) = request.websocket() else {
        return Ok(());
    };
    if let Some(message) = ws.wait().await {
        ws.send(message).await?;
    }
    Ok(())
}

/// Answers each burst of messages in one reply: after the first message,
/// `count_messages()` says how many more have arrived already, and
/// `read()` takes them without waiting.
pub async fn batch(mut request: ViewRequest) -> Result {
    let Some(ws) = request.websocket() else {
        return Ok(());
    };
    while let Some(first) = ws.wait().await {
        // Bounded by the WebSocket's buffer, so a client that never pauses
        // still gets an answer now and then.
        let queued = ws.count_messages();
        let mut burst = vec![first];
        for _ in 0..queued {
            burst.extend(ws.read());
        }
        let texts: Vec<&str> = burst
            .iter()
            .map(|message| message.as_text().unwrap_or("<binary>"))
            .collect();
        let reply = format!("{} message(s): {}", burst.len(), texts.join(", "));
        ws.send(reply).await?;
    }
    Ok(())
}

/// Shouts every text message back: an ordinary consumer, next to the views.
#[derive(Debug, Default)]
pub struct ShoutConsumer;

#[async_trait]
impl WebsocketConsumer for ShoutConsumer {
    type Event = NoEvents;

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        match message.as_text() {
            Some(text) => ctx.send_text(text.to_uppercase()).await,
            None => Ok(()),
        }
    }
}

/// The views, by path: Django's `urlpatterns`.
pub fn views() -> Views {
    Views::new()
        .route("echo/", accept_websocket(echo))
        .route("ws-only/", require_websocket(ws_only))
        .route("batch/", require_websocket(batch))
}

/// The whole application: the views first, then an axum page and a consumer.
pub fn app() -> ProtocolTypeRouter {
    app_with_views(views())
}

/// The application with `views` in front of each arm: what they do not
/// match goes on to the axum page or the consumer.
pub fn app_with_views(views: Views) -> ProtocolTypeRouter {
    let pages = axum::Router::new().route("/", axum::routing::get(index));
    let consumers = UrlRouter::new().route("ws/shout/", ShoutConsumer::default);
    ProtocolTypeRouter::new()
        .http(views.clone().fallback_http(pages))
        .websocket(views.fallback_websocket(consumers))
}

async fn index() -> &'static str {
    "aqueduct views: GET /echo/?message=hi, or a WebSocket on /echo/, /ws-only/, /batch/ \
     (views) and /ws/shout/ (a consumer)\n"
}
