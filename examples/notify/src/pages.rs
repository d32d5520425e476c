//! The page, and logging in and out over HTTP with a session cookie that
//! the WebSocket reads back.

use aqueduct::middleware::CookieSessions;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::body::JsonOrForm;
use crate::users::{DemoUser, Session};

/// `GET /` is the page; `POST /login/` and `POST /logout/` set and clear
/// the session cookie.
pub(crate) fn router(sessions: CookieSessions) -> Router {
    Router::new()
        // The page reads its token from its own URL, or relies on the
        // cookie: one static page serves every user.
        .route(
            "/",
            get(|| async { Html(include_str!("../templates/index.html")) }),
        )
        .route("/login/", post(login))
        .route("/logout/", post(logout))
        .with_state(sessions)
}

/// What a login sends: `user=alice` from the page's form, or
/// `{"user": "alice"}` from a script.
#[derive(Debug, Deserialize)]
struct Login {
    user: String,
}

/// Logs `user` in: the answer's `Set-Cookie` holds the session, which the
/// browser sends with the WebSocket handshake too.
///
/// The demo takes any of its users' names with no password; a real login
/// checks one.
async fn login(State(sessions): State<CookieSessions>, body: JsonOrForm<Login>) -> Response {
    let (JsonOrForm::Json(login) | JsonOrForm::Form(login)) = &body;
    let Some(user) = DemoUser::by_name(&login.user) else {
        let message = "unknown user: the demo's users are alice, bob and carol";
        return (StatusCode::UNAUTHORIZED, message).into_response();
    };
    let cookie = match sessions.save(&Session {
        user: user.name.clone(),
    }) {
        Ok(cookie) => cookie,
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    };
    let headers = [(header::SET_COOKIE, cookie)];
    match body {
        JsonOrForm::Json(_) => (headers, Json(json!({"user": user.name}))).into_response(),
        // Post/redirect/get: reloading the page does not log in again.
        JsonOrForm::Form(_) => (headers, Redirect::to("/")).into_response(),
    }
}

/// Logs out: the cookie is replaced by an expired one. Sockets already
/// open stay open; a real application would also close them, by sending
/// the user's group an event its consumer answers with a close.
async fn logout(State(sessions): State<CookieSessions>) -> Response {
    ([(header::SET_COOKIE, sessions.clear())], Redirect::to("/")).into_response()
}
