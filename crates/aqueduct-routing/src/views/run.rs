//! Running a view: for a plain HTTP request, and for a WebSocket from the
//! handshake to the close. Panics and errors stop here.

use std::sync::Arc;

use aqueduct_core::__private::{catch_panic, expect_connect};
use aqueduct_core::{
    Accept, Body, ChannelLayer, ClientAddr, CloseCode, CloseFrame, ConnectionClosed, Inbound,
    Outbound, Param, Scope, ScopeKind, WebsocketIo,
};
use http::{Request, StatusCode};
use tokio::sync::Mutex;

use super::request::ViewRequest;
use super::response::{ViewResponse, status_response, take_failure, text_response};
use super::view::{Handler, View};
use super::websocket::WebSocket;

/// What a plain HTTP request to a [`require_websocket`](super::require_websocket)
/// view is told.
pub(crate) const WEBSOCKET_REQUIRED: &str =
    "This URL only answers WebSocket connections; connect with a WebSocket client (ws://).";

/// Answers a plain HTTP request with `view`. `params` are what the route
/// captured; `layer` is the application's channel layer, if any.
pub(crate) async fn http(
    view: &View,
    request: Request<Body>,
    params: Vec<Param>,
    layer: Option<Arc<dyn ChannelLayer>>,
) -> ViewResponse {
    let (parts, body) = request.into_parts();
    if !view.accepts_http {
        tracing::info!(path = %parts.uri.path(), "plain HTTP request to a WebSocket-only view; answering 400");
        return text_response(StatusCode::BAD_REQUEST, WEBSOCKET_REQUIRED);
    }
    // The server puts the client's address on the request, as it puts it
    // on a WebSocket's scope.
    let client = parts.extensions.get::<ClientAddr>().map(|client| client.0);
    let mut scope = Scope::from_request_parts(ScopeKind::Http, &parts).with_addrs(client, None);
    scope.params_mut().extend(params);
    scope.set_channel_layer(layer);
    // What middleware put on the request (a user, a session) is the scope's now.
    *scope.extensions_mut() = parts.extensions;
    let path = parts.uri.path();
    match guard(&*view.handler, ViewRequest::http(scope, body)).await {
        Ok(mut response) => {
            if let Some(err) = take_failure(&mut response) {
                let status = response.status().as_u16();
                if response.status().is_server_error() {
                    tracing::error!(path, error = %err, status, "view failed");
                } else {
                    tracing::info!(path, error = %err, status, "view refused the request");
                }
            }
            response
        }
        Err(panic) => {
            tracing::error!(path, panic, "view panicked; answering 500");
            status_response(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Accepts the handshake, runs `view` with the WebSocket until it returns,
/// then closes: 1000 normally, 1011 after a panic or an error.
pub(crate) async fn websocket(view: &View, scope: Scope, mut io: Box<dyn WebsocketIo>) {
    if !expect_connect(&mut *io).await {
        return;
    }
    // dwebsocket accepts before the view runs: the view only ever sees an
    // open WebSocket.
    if io.send(Outbound::Accept(Accept::new())).await.is_err() {
        tracing::debug!("client left before the handshake was accepted");
        return;
    }
    let io = Arc::new(Mutex::new(io));
    let (ws, handle_dropped) = WebSocket::new(io.clone(), view.max_buffered);
    let request = ViewRequest::websocket_request(scope, ws);
    let code = match guard(&*view.handler, request).await {
        Ok(mut response) => match take_failure(&mut response) {
            None => CloseCode::NORMAL,
            // The client left while the view was sending: not the view's fault.
            Some(err) if err.downcast_ref::<ConnectionClosed>().is_some() => {
                tracing::debug!("client went away while the view was sending");
                CloseCode::NORMAL
            }
            Some(err) => {
                tracing::error!(error = %err, "view failed; closing with 1011");
                CloseCode::INTERNAL_ERROR
            }
        },
        Err(panic) => {
            tracing::error!(panic, "view panicked; closing with 1011");
            CloseCode::INTERNAL_ERROR
        }
    };
    // A view may hand its request to another task: the connection lasts as
    // long as the WebSocket handle does.
    let ended = handle_dropped.await.unwrap_or(None);
    let mut io = io.lock().await;
    if ended.is_none() {
        // A failure means the client is gone already: nobody left to tell.
        let _ = io.send(Outbound::Close(CloseFrame::new(code))).await;
    }
    // The conversation ends with the driver's `Disconnect`; what the client
    // sent after our close is dropped, as RFC 6455 allows.
    while !matches!(io.recv().await, Inbound::Disconnect(_)) {}
}

/// Calls the view, turning a panic (in the call or in its future) into
/// the panic's message, so one view cannot take the server down.
async fn guard(handler: &dyn Handler, request: ViewRequest) -> Result<ViewResponse, String> {
    catch_panic(|| handler.call(request)).await
}
