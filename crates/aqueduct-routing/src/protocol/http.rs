//! The http arm: any tower `Service`, boxed, and answered without failing.

use aqueduct_core::{Body, BoxError};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

use aqueduct_core::__private::text_response;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

/// The http arm once boxed: one type for an axum `Router`, a tower-http
/// service or a hand-written one.
pub(crate) type HttpService = BoxCloneSyncService<Request<Body>, Response<Body>, BoxError>;

/// A tower service that can answer plain HTTP on an arm: any
/// `Clone + Send + Sync` service over `http::Request<aqueduct_core::Body>`,
/// whatever its response body and error types, such as an axum `Router`
/// or a tower-http `ServeDir`.
///
/// Implemented for every such service; it only names the bounds once, for
/// [`ProtocolTypeRouter::http`](crate::ProtocolTypeRouter::http) and
/// [`Views::fallback_http`](crate::Views::fallback_http).
pub trait HttpArm: Clone + Send + Sync + 'static {
    /// Boxes the service, turning its response body into [`Body`] and its
    /// error into a [`BoxError`].
    #[doc(hidden)]
    fn into_http_service(self) -> HttpService;
}

impl<S, B> HttpArm for S
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn into_http_service(self) -> HttpService {
        let service = self
            .map_response(|response: Response<B>| response.map(Body::new))
            .map_err(|err: S::Error| err.into());
        BoxCloneSyncService::new(service)
    }
}

/// Answers `request` with `service`: 404 when there is no http arm, 500
/// (and an error log line) when the service fails.
pub(crate) async fn serve(service: Option<HttpService>, request: Request<Body>) -> Response<Body> {
    let Some(service) = service else {
        tracing::debug!(path = %request.uri().path(), "no http application; answering 404");
        return status_response(StatusCode::NOT_FOUND);
    };
    // Cloning a `Uri` shares its bytes; it is kept only for the log line.
    let uri = request.uri().clone();
    match service.oneshot(request).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(path = %uri.path(), error = %err, "http application failed; answering 500");
            status_response(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// A response with `status`, its reason phrase as the body.
pub(crate) fn status_response(status: StatusCode) -> Response<Body> {
    text_response(status, status.canonical_reason().unwrap_or_default())
}
