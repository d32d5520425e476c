//! Proxy headers over real sockets: a trusted proxy's `X-Forwarded-For`,
//! `X-Forwarded-Proto` and `Forwarded` set the client and the scheme that
//! consumers, views and the http arm see; anyone else's are ignored.

use aqueduct::prelude::*;
use aqueduct::views::{ViewRequest, Views, accept_websocket};
use aqueduct::{ClientAddr, Scope, TrustedProxies};
use aqueduct_tests::{TestServer, connect_with_headers, http_get_with_headers, recv_text};
use axum::Extension;
use axum::routing::get;

/// Request headers, name and value.
type Headers = &'static [(&'static str, &'static str)];

const XFF: &str = "x-forwarded-for";
const XFP: &str = "x-forwarded-proto";

/// Tells the client what its scope says: `client scheme`.
#[derive(Debug, Default)]
struct WhoAmI;

#[async_trait]
impl WebsocketConsumer for WhoAmI {
    type Event = NoEvents;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        let whoami = describe(ctx.scope());
        ctx.send_text(whoami).await
    }
}

fn describe(scope: &Scope) -> String {
    let client = scope.client().map(|client| client.to_string());
    format!("{} {}", client.unwrap_or_default(), scope.scheme())
}

/// A view answers plain HTTP with what its scope says.
async fn whoami_view(request: ViewRequest) -> String {
    describe(request.scope())
}

/// The consumer at `/ws/`, a view at `/view/`, and an axum handler at
/// `/axum/` reading the `ClientAddr` extension and the URI's scheme.
fn app() -> ProtocolTypeRouter {
    let axum = axum::Router::new().route(
        "/axum/",
        get(
            |Extension(ClientAddr(client)): Extension<ClientAddr>, uri: http::Uri| async move {
                format!("{client} {}", uri.scheme_str().unwrap_or("http"))
            },
        ),
    );
    let views = Views::new().route("view/", accept_websocket(whoami_view));
    ProtocolTypeRouter::new()
        .http(views.fallback_http(axum))
        .websocket(UrlRouter::new().route("ws/", WhoAmI::default))
}

async fn server(trusted: Option<TrustedProxies>) -> TestServer {
    TestServer::start_with(app(), move |server| match trusted {
        Some(trusted) => server.proxy_headers(trusted),
        None => server,
    })
    .await
}

fn trusting(list: &str) -> Option<TrustedProxies> {
    Some(list.parse().unwrap())
}

/// Checks `got` against `expected`, where `peer` stands for the test's
/// own loopback address, whose port the test does not know.
fn assert_whoami(got: &str, expected: &str, case: &str) {
    match expected.strip_prefix("peer ") {
        Some(scheme) => {
            let (client, got_scheme) = got.split_once(' ').unwrap();
            let client: std::net::SocketAddr = client.parse().unwrap();
            assert!(
                client.ip().is_loopback() && client.port() != 0,
                "{case}: {got}"
            );
            assert_eq!(got_scheme, scheme, "{case}: {got}");
        }
        None => assert_eq!(got, expected, "{case}"),
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_websocket_client_and_its_scheme() {
    #[rustfmt::skip]
    let table: Vec<(&str, Option<TrustedProxies>, Headers, &str)> = vec![
        ("one proxy on the same host",
            Some(TrustedProxies::default()), &[(XFF, "203.0.113.7")],                     "203.0.113.7:0 ws"),
        ("https at the proxy",
            trusting("127.0.0.1"), &[(XFF, "203.0.113.7"), (XFP, "https")],               "203.0.113.7:0 wss"),
        ("a forged hop left of the client is passed over",
            trusting("127.0.0.1"), &[(XFF, "198.51.100.66, 203.0.113.7")],                "203.0.113.7:0 ws"),
        ("two trusted proxies",
            trusting("127.0.0.1, 10.0.0.0/8"), &[(XFF, "203.0.113.7, 10.0.0.2")],         "203.0.113.7:0 ws"),
        ("RFC 7239, IPv6 with a port",
            trusting("127.0.0.1"), &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")], "[2001:db8::1]:4711 wss"),
        // Spoofing: a sender that is not a trusted proxy is ignored entirely.
        ("a sender not on the list",
            trusting("10.0.0.1"), &[(XFF, "203.0.113.7"), (XFP, "https")],                "peer ws"),
        ("proxy headers off",
            None, &[(XFF, "203.0.113.7"), (XFP, "https"), ("forwarded", "for=1.2.3.4")],  "peer ws"),
        ("garbage from a trusted proxy",
            trusting("127.0.0.1"), &[(XFF, "not-an-address")],                            "peer ws"),
    ];
    for (case, trusted, headers, expected) in table {
        let server = server(trusted).await;
        let mut client = connect_with_headers(&server.ws("/ws/"), headers).await.0;
        assert_whoami(&recv_text(&mut client).await, expected, case);
        // Gone before the shutdown, which would wait for it to answer.
        drop(client);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn http_views_and_the_http_arm_see_the_client_too() {
    let headers = [(XFF, "203.0.113.7"), (XFP, "https")];
    #[rustfmt::skip]
    let table = [
        (trusting("127.0.0.1"), "/view/", "203.0.113.7:0 https"),
        (trusting("127.0.0.1"), "/axum/", "203.0.113.7:0 https"),
        (trusting("10.0.0.1"),  "/view/", "peer http"),
        (trusting("10.0.0.1"),  "/axum/", "peer http"),
    ];
    for (trusted, path, expected) in table {
        let case = format!("{path} trusting {trusted:?}");
        let server = server(trusted).await;
        let reply = http_get_with_headers(server.addr(), path, &headers).await;
        assert_eq!(reply.status, 200, "{case}: {reply:?}");
        assert_whoami(&reply.body, expected, &case);
        server.shutdown().await;
    }
}
