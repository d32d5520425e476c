//! Request bodies that may come from a browser's form or from a script.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::de::DeserializeOwned;

/// A body sent as JSON (`Content-Type: application/json`) or as an HTML
/// form (`application/x-www-form-urlencoded`; axum's `Form` answers any
/// other type with 415), and which of the two it was, so the answer can
/// suit the sender.
pub(crate) enum JsonOrForm<T> {
    Json(T),
    Form(T),
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequest<S> for JsonOrForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        if is_json(request.headers()) {
            let Json(body) = Json::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            Ok(Self::Json(body))
        } else {
            let Form(body) = Form::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            Ok(Self::Form(body))
        }
    }
}

/// Whether the request says its body is JSON.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}
