//! The JSON REST API: a health check, and posting to a chat room.

use std::sync::Arc;

use aqueduct::{ChannelLayer, Event};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mysite::{ChatEvent, ChatMessage};
use serde_json::{Value, json};

/// `GET /health`, and `POST /rooms/{room_name}/messages`.
pub(crate) fn router(layer: Arc<dyn ChannelLayer>) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/rooms/{room_name}/messages", post(post_message))
        .with_state(layer)
}

/// Posts a message to everyone in the room, as the chat consumer itself
/// does: a `ChatEvent` (`{"type": "chat.message", …}`) to the group
/// `chat_<room_name>`. The body is what a chat client sends, `{"message": "…"}`.
async fn post_message(
    State(layer): State<Arc<dyn ChannelLayer>>,
    Path(room_name): Path<String>,
    Json(chat): Json<ChatMessage>,
) -> (StatusCode, Json<Value>) {
    let sent = async {
        let event = Event::from_message(&ChatEvent::ChatMessage(chat))?;
        let report = layer
            .group_send(&format!("chat_{room_name}"), event)
            .await?;
        Ok::<_, aqueduct::Error>(report.delivered)
    };
    match sent.await {
        Ok(delivered) => (StatusCode::ACCEPTED, Json(json!({"delivered": delivered}))),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": err.to_string()})),
        ),
    }
}
