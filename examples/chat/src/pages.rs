//! The two pages of the chat: the room picker and a room.

use axum::Router;
use axum::response::{Html, Redirect};
use axum::routing::get;

/// `GET /chat/` picks a room; `GET /chat/<room_name>/` is the room itself.
pub(crate) fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/chat/") }))
        .route(
            "/chat/",
            get(|| async { Html(include_str!("../templates/index.html")) }),
        )
        // The page reads the room name from its own URL, so one static page
        // serves every room and no name is ever pasted into HTML.
        .route(
            "/chat/{room_name}/",
            get(|| async { Html(include_str!("../templates/room.html")) }),
        )
}
