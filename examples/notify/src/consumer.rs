//! The notification consumer: one per browser tab, forwarding to the
//! socket what is sent to its user.

use aqueduct::prelude::*;
use aqueduct::{Deny, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::users::DemoUser;

/// What travels through the user groups, tagged on `"type"` as in
/// Channels; the consumer forwards it to the browser as it is:
/// `{"type": "notify", "text": "…"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum NotifyEvent {
    /// A notification for the user, which Channels would hand to a
    /// `notify` handler.
    #[serde(rename = "notify")]
    Notify {
        /// What to show.
        text: String,
    },
}

/// One browser tab of a logged-in user.
///
/// It joins no group itself: `AuthMiddleware` put the user's group
/// (`user.<name>`) and `everyone` in the scope, and aqueduct joins those
/// before `connect`, so nothing sent after the page sees the socket open
/// is missed.
#[derive(Debug, Default)]
pub struct NotifyConsumer;

#[async_trait]
impl WebsocketConsumer for NotifyConsumer {
    type Event = NotifyEvent;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        // `login_required` lets only users through; this guards against
        // the consumer being routed without the middleware, where it
        // would otherwise serve nobody in particular.
        let Some(user) = ctx.user::<DemoUser>().cloned() else {
            return ctx.deny_with(Deny::new(StatusCode::UNAUTHORIZED)).await;
        };
        ctx.accept().await?;
        // The greeting tells the page whose tab this is, which matters
        // when the user came from the session cookie, not the URL.
        ctx.send_json(&json!({"type": "hello", "user": user.name}))
            .await
    }

    async fn event(&mut self, ctx: &mut Context, event: NotifyEvent) -> Result {
        ctx.send_json(&event).await
    }
}
