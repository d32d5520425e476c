//! What a view returns: anything that makes an HTTP response.

use std::sync::Arc;

use aqueduct_core::{Body, BoxError, Error};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::app::downcast;
use crate::error::BodyError;

/// The HTTP response a view answers with.
pub type ViewResponse = Response<Body>;

/// Turns what a view returns into its HTTP response: axum's `IntoResponse`
/// for views.
///
/// Text becomes a `200 OK` with a `text/plain` body, a [`StatusCode`] an
/// empty response with that status, `(StatusCode, T)` sets the status of
/// `T`'s response, `()` is an empty `200 OK`, and any `http::Response` is
/// sent as it is. A `Result` is its `Ok` value's response; its `Err` is
/// logged and answered with `500 Internal Server Error` (or `413`/`400`
/// for a [`BodyError`]), and after a WebSocket accept it closes the
/// connection with 1011.
///
/// For a WebSocket, what the view returns is not sent anywhere, as in
/// dwebsocket; only an `Err` matters.
///
/// ```
/// use aqueduct_routing::views::{IntoViewResponse, ViewResponse};
/// use http::StatusCode;
///
/// fn greet(name: Option<&str>) -> ViewResponse {
///     match name {
///         Some(name) => format!("Hello, {name}!").into_view_response(),
///         None => (StatusCode::BAD_REQUEST, "say who you are").into_view_response(),
///     }
/// }
///
/// assert_eq!(greet(Some("Ada")).status(), StatusCode::OK);
/// assert_eq!(greet(None).status(), StatusCode::BAD_REQUEST);
/// ```
pub trait IntoViewResponse {
    /// Makes the response.
    fn into_view_response(self) -> ViewResponse;
}

/// Marks a response made from a view's `Err`, so the runner can log the
/// error and close a WebSocket with 1011. Kept in the response's
/// extensions, which must be `Clone`, hence the `Arc`.
#[derive(Clone, Debug)]
pub(crate) struct ViewFailure(pub(crate) Arc<Error>);

pub(crate) use crate::protocol::http::status_response;
pub(crate) use aqueduct_core::__private::text_response;

impl<B> IntoViewResponse for Response<B>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn into_view_response(self) -> ViewResponse {
        // A `ViewResponse` already is one: boxing its body again would cost
        // an allocation and an indirection on every poll.
        downcast::<ViewResponse, _>(self).unwrap_or_else(|other| other.map(Body::new))
    }
}

impl IntoViewResponse for Body {
    fn into_view_response(self) -> ViewResponse {
        Response::new(self)
    }
}

impl IntoViewResponse for StatusCode {
    fn into_view_response(self) -> ViewResponse {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }
}

impl IntoViewResponse for () {
    fn into_view_response(self) -> ViewResponse {
        Response::new(Body::empty())
    }
}

macro_rules! text_into_view_response {
    ($($ty:ty),*) => {$(
        impl IntoViewResponse for $ty {
            fn into_view_response(self) -> ViewResponse {
                text_response(StatusCode::OK, self)
            }
        }
    )*};
}

text_into_view_response!(String, &'static str);

macro_rules! bytes_into_view_response {
    ($($ty:ty),*) => {$(
        impl IntoViewResponse for $ty {
            fn into_view_response(self) -> ViewResponse {
                let mut response = Response::new(Body::from(self));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                response
            }
        }
    )*};
}

bytes_into_view_response!(Bytes, Vec<u8>);

impl<T: IntoViewResponse> IntoViewResponse for (StatusCode, T) {
    fn into_view_response(self) -> ViewResponse {
        let (status, inner) = self;
        let mut response = inner.into_view_response();
        *response.status_mut() = status;
        response
    }
}

impl<T, E> IntoViewResponse for Result<T, E>
where
    T: IntoViewResponse,
    E: Into<Error>,
{
    fn into_view_response(self) -> ViewResponse {
        match self {
            Ok(inner) => inner.into_view_response(),
            Err(err) => failure_response(err.into()),
        }
    }
}

/// The response for a view's error: the client is told only the status,
/// the log gets the error.
fn failure_response(err: Error) -> ViewResponse {
    let status = match err.downcast_ref::<BodyError>() {
        Some(BodyError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        Some(BodyError::Read { .. }) => StatusCode::BAD_REQUEST,
        None => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = status_response(status);
    response.extensions_mut().insert(ViewFailure(Arc::new(err)));
    response
}

/// Takes the error out of a response made from a view's `Err`.
pub(crate) fn take_failure(response: &mut ViewResponse) -> Option<Arc<Error>> {
    response
        .extensions_mut()
        .remove::<ViewFailure>()
        .map(|failure| failure.0)
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn parts(response: ViewResponse) -> (StatusCode, Option<String>, String) {
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn what_each_return_type_answers() {
        let text = Some("text/plain; charset=utf-8");
        let octets = Some("application/octet-stream");
        let failed: Result<&str, Error> = Err(Error::msg("database is down"));
        let too_large: Result<&str, BodyError> = Err(BodyError::TooLarge { limit: 1 });
        #[rustfmt::skip]
        let cases: Vec<(ViewResponse, StatusCode, Option<&str>, &str)> = vec![
            ("hi".into_view_response(),                             StatusCode::OK, text, "hi"),
            (String::from("hi").into_view_response(),               StatusCode::OK, text, "hi"),
            (vec![1u8, 2].into_view_response(),                     StatusCode::OK, octets, "\u{1}\u{2}"),
            (().into_view_response(),                               StatusCode::OK, None, ""),
            (StatusCode::NO_CONTENT.into_view_response(),           StatusCode::NO_CONTENT, None, ""),
            ((StatusCode::BAD_REQUEST, "no").into_view_response(),  StatusCode::BAD_REQUEST, text, "no"),
            (Ok::<_, Error>("fine").into_view_response(),           StatusCode::OK, text, "fine"),
            (failed.into_view_response(),                           StatusCode::INTERNAL_SERVER_ERROR, text, "Internal Server Error"),
            (too_large.into_view_response(),                        StatusCode::PAYLOAD_TOO_LARGE, text, "Payload Too Large"),
            (Response::new(Body::from("raw")).into_view_response(), StatusCode::OK, None, "raw"),
        ];
        for (response, status, content_type, body) in cases {
            let expected = (status, content_type.map(str::to_owned), body.to_owned());
            assert_eq!(parts(response).await, expected);
        }
    }

    #[test]
    fn an_error_is_kept_for_the_log_and_only_once() {
        let mut response = Err::<(), _>(Error::msg("disk full")).into_view_response();
        let failure = take_failure(&mut response).expect("the error is kept");
        assert_eq!(failure.to_string(), "disk full");
        assert!(take_failure(&mut response).is_none());
        assert!(take_failure(&mut "fine".into_view_response()).is_none());
    }
}
