//! The chat consumer: everyone in a room hears every message sent to it.

use aqueduct::prelude::*;
use aqueduct::{Deny, http::StatusCode, validate_group_name};
use serde::{Deserialize, Serialize};

/// What clients send and receive: `{"message": "…"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The text typed in the room.
    pub message: String,
}

/// What travels through the room group: the events this consumer takes,
/// tagged on `"type"` as in Channels.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ChatEvent {
    /// `{"type": "chat.message", "message": "…"}`, which Channels hands to
    /// a `chat_message` handler.
    #[serde(rename = "chat.message")]
    ChatMessage(ChatMessage),
}

/// One connection to a chat room.
#[derive(Debug, Default)]
pub struct ChatConsumer {
    room_group_name: String,
}

#[async_trait]
impl WebsocketConsumer for ChatConsumer {
    type Event = ChatEvent;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        let room_name = ctx.scope().param("room_name").unwrap_or_default();
        self.room_group_name = format!("chat_{room_name}");

        // Group names allow ASCII letters, digits, '-', '_' and '.': refuse
        // other room names with a clear answer instead of an error.
        if validate_group_name(&self.room_group_name).is_err() {
            let deny = Deny::new(StatusCode::BAD_REQUEST)
                .with_body("room names may use ASCII letters, digits, '-', '_' and '.'");
            return ctx.deny_with(deny).await;
        }

        // Join the room group before accepting, so no message sent to the
        // room after the client sees the connection open is missed.
        // aqueduct leaves the group when the connection ends.
        ctx.group_add(&self.room_group_name).await?;
        ctx.accept().await
    }

    // Receive a message from the WebSocket.
    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        let Some(text) = message.as_text() else {
            tracing::warn!("binary frame on the chat socket; closing with 1003");
            return ctx.close(CloseCode::UNSUPPORTED_DATA).await;
        };
        let Ok(chat) = serde_json::from_str::<ChatMessage>(text) else {
            tracing::warn!("chat message is not {{\"message\": string}}; closing with 1007");
            return ctx.close(CloseCode::INVALID_PAYLOAD).await;
        };

        // Send the message to the room group.
        let event = Event::from_message(&ChatEvent::ChatMessage(chat))?;
        ctx.group_send(&self.room_group_name, event).await?;
        Ok(())
    }

    // Receive a message from the room group.
    async fn event(&mut self, ctx: &mut Context, event: ChatEvent) -> Result {
        match event {
            ChatEvent::ChatMessage(chat) => {
                // Send the message to the WebSocket.
                ctx.send_json(&chat).await
            }
        }
    }
}
