//! Sending to users from outside the consumers: what an HTTP handler, a
//! background task or another service does to notify someone.
//!
//! **The demo leaves these endpoints open**, so that `curl` can try them.
//! A real application lets only its own services or staff call them
//! (an API key, an internal network), or anyone could notify anyone.

use std::sync::Arc;

use aqueduct::middleware::UserGroups;
use aqueduct::{ChannelLayer, Event, GroupSendReport, LayerError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::body::is_json;
use crate::consumer::NotifyEvent;

/// `POST /notify/{user}/` notifies one user; `POST /notify/` everyone.
///
/// `groups` must name the groups as the `AuthMiddleware` does, or the
/// sends reach nobody.
pub(crate) fn router(groups: UserGroups) -> Router {
    Router::new()
        .route("/notify/{user}/", post(notify_user))
        .route("/notify/", post(notify_everyone))
        .with_state(groups)
}

/// A JSON notification: `{"text": "…"}`.
#[derive(Debug, Deserialize)]
struct Notification {
    text: String,
}

/// The reply to a send: `{"delivered": n}` with 202, `n` being how many
/// of the user's connections it reached, in every process on the layer.
type Reply = (StatusCode, Json<Value>);

/// Sends the body to every tab `user` has open, and to no one else's.
///
/// `ProtocolTypeRouter` puts its channel layer in every HTTP request's
/// extensions, so the handler needs no state of its own for it.
async fn notify_user(
    Extension(layer): Extension<Arc<dyn ChannelLayer>>,
    State(groups): State<UserGroups>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Reply {
    let sent = async {
        let event = notification(&headers, body)?;
        Ok::<_, aqueduct::Error>(groups.send_to_user(&*layer, &user, event).await?)
    };
    reply(sent.await)
}

/// Sends the body to every connection, whoever's it is.
async fn notify_everyone(
    Extension(layer): Extension<Arc<dyn ChannelLayer>>,
    State(groups): State<UserGroups>,
    headers: HeaderMap,
    body: String,
) -> Reply {
    let sent = async {
        let event = notification(&headers, body)?;
        Ok::<_, aqueduct::Error>(groups.send_to_everyone(&*layer, event).await?)
    };
    reply(sent.await)
}

/// The event for a request body: `{"text": "…"}` when it is JSON, else
/// the whole body as the text, so `curl -d 'hello'` works.
fn notification(headers: &HeaderMap, body: String) -> aqueduct::Result<Event> {
    let text = if is_json(headers) {
        serde_json::from_str::<Notification>(&body)?.text
    } else {
        body
    };
    Ok(Event::from_message(&NotifyEvent::Notify { text })?)
}

fn reply(sent: aqueduct::Result<GroupSendReport>) -> Reply {
    match sent {
        Ok(report) => (
            StatusCode::ACCEPTED,
            Json(json!({"delivered": report.delivered})),
        ),
        Err(err) => {
            // A body that is not `{"text": …}`, or a user id too long for a
            // group name, is the caller's mistake; anything else is the
            // layer's (Redis down, say).
            let status = match err.downcast_ref::<LayerError>() {
                None | Some(LayerError::InvalidGroupName { .. }) => StatusCode::BAD_REQUEST,
                Some(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, Json(json!({"error": err.to_string()})))
        }
    }
}
