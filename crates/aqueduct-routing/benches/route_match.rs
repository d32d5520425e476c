//! Route matching: one handshake through a `UrlRouter` of about twenty
//! routes, up to the app's answer.
//!
//! Run with `cargo bench -p aqueduct-routing --bench route_match`.
//!
//! The router is reachable only as a `WebsocketApp`, so each iteration
//! drives a whole (tiny) conversation: `UrlRouter::call` with a driver that
//! says `Connect` and keeps what it is sent. Matched routes lead to an app
//! that denies at once, so what is timed is matching plus a deny; unmatched
//! paths time the router's own 404.

use std::hint::black_box;
use std::sync::{Arc, Mutex};

use aqueduct_core::{
    AppFuture, CloseCode, ConnectionClosed, Deny, Inbound, Outbound, Scope, ScopeKind,
    WebsocketApp, WebsocketIo,
};
use aqueduct_routing::UrlRouter;
use async_trait::async_trait;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::StatusCode;

/// What the driver was sent; shared so it is read, and dropped, outside
/// the timed part.
type Sent = Arc<Mutex<Option<Outbound>>>;

/// A driver that says `Connect`, then `Disconnect`, and keeps the one
/// action it expects.
struct BenchIo {
    connected: bool,
    sent: Sent,
}

#[async_trait]
impl WebsocketIo for BenchIo {
    fn poll_recv(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Inbound> {
        std::task::Poll::Ready(if std::mem::replace(&mut self.connected, true) {
            Inbound::Disconnect(CloseCode::NORMAL)
        } else {
            Inbound::Connect
        })
    }

    async fn send(&mut self, action: Outbound) -> Result<(), ConnectionClosed> {
        *self.sent.lock().unwrap() = Some(action);
        Ok(())
    }
}

/// An application that refuses every handshake with 403.
struct DenyApp;

impl WebsocketApp for DenyApp {
    fn call(&self, _scope: Scope, mut io: Box<dyn WebsocketIo>) -> AppFuture<'_> {
        Box::pin(async move {
            if io.recv().await == Inbound::Connect {
                let _ = io.send(Outbound::Deny(Deny::default())).await;
            }
        })
    }
}

/// A routing table of the size and mix a real application has: static
/// routes, every converter, and a nested router.
fn router() -> UrlRouter {
    let games = UrlRouter::new()
        .route("lobby/", DenyApp)
        .route("<int:game_id>/", DenyApp)
        .route("<int:game_id>/spectate/", DenyApp)
        .route("<slug:mode>/queue/", DenyApp);
    UrlRouter::new()
        .route("ws/echo/", DenyApp)
        .route("ws/notifications/", DenyApp)
        .route("ws/presence/", DenyApp)
        .route("ws/chat/<room_name>/", DenyApp)
        .route("ws/chat/<room_name>/typing/", DenyApp)
        .route("ws/feed/<str:topic>/", DenyApp)
        .route("ws/users/<int:user_id>/", DenyApp)
        .route("ws/users/<int:user_id>/inbox/", DenyApp)
        .route("ws/orders/<uuid:order_id>/", DenyApp)
        .route("ws/orders/<uuid:order_id>/status/", DenyApp)
        .route("ws/tickets/<uuid:ticket_id>/", DenyApp)
        .route("ws/boards/<slug:board>/", DenyApp)
        .route("ws/boards/<slug:board>/cards/<int:card_id>/", DenyApp)
        .route("ws/docs/<slug:doc>/cursors/", DenyApp)
        .route("ws/live/scores/", DenyApp)
        .route("ws/live/<slug:sport>/<int:match_id>/", DenyApp)
        .nest("ws/games/", games)
        .route("ws/admin/metrics/", DenyApp)
        .route("ws/admin/logs/<path:stream>", DenyApp)
        .route("ws/files/<path:file_path>", DenyApp)
}

/// (name, request path, the status the handshake gets)
#[rustfmt::skip]
const CASES: &[(&str, &str, StatusCode)] = &[
    ("static",        "/ws/echo/",                                                    StatusCode::FORBIDDEN),
    ("room_name",     "/ws/chat/lobby/",                                              StatusCode::FORBIDDEN),
    ("int",           "/ws/users/42/inbox/",                                          StatusCode::FORBIDDEN),
    ("slug_int",      "/ws/boards/team-roadmap/cards/7/",                             StatusCode::FORBIDDEN),
    ("uuid",          "/ws/orders/0b2d3f4a-5c6e-4f80-9a1b-2c3d4e5f6a7b/status/",      StatusCode::FORBIDDEN),
    ("path",          "/ws/files/reports/2025/q3/summary.pdf",                        StatusCode::FORBIDDEN),
    ("nested",        "/ws/games/17/spectate/",                                       StatusCode::FORBIDDEN),
    ("404",           "/ws/unknown/thing/",                                           StatusCode::NOT_FOUND),
    // The tree finds the `<int:…>` route; its converter refuses "abc".
    ("404_converter", "/ws/users/abc/inbox/",                                         StatusCode::NOT_FOUND),
];

/// Runs one handshake for `scope` and returns what the driver was sent.
async fn handshake(router: &UrlRouter, scope: Scope, sent: Sent) -> Sent {
    let io = BenchIo {
        connected: false,
        sent: sent.clone(),
    };
    router.call(scope, Box::new(io)).await;
    sent
}

fn status(sent: &Sent) -> Option<StatusCode> {
    match &*sent.lock().unwrap() {
        Some(Outbound::Deny(deny)) => Some(deny.status),
        _ => None,
    }
}

fn route_match(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let router = router();
    let mut group = c.benchmark_group("route_match");
    for &(name, path, expected) in CASES {
        // A wrong table would time the wrong thing: check each case once.
        let sent = runtime.block_on(handshake(
            &router,
            Scope::new(ScopeKind::Websocket, path),
            Sent::default(),
        ));
        assert_eq!(status(&sent), Some(expected), "{path}");

        group.bench_function(name, |b| {
            // Building the scope (URI parsing) is the driver's work, not
            // the router's: it happens in setup, outside the timing.
            b.to_async(&runtime).iter_batched(
                || (Scope::new(ScopeKind::Websocket, path), Sent::default()),
                |(scope, sent)| handshake(black_box(&router), scope, sent),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, route_match);
criterion_main!(benches);
