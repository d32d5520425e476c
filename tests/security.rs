//! Middleware over real sockets, as a client meets it: origins refused
//! with 403 and a log line naming them, users found by each token source,
//! refusals seen as a status or a close code, a session cookie written by
//! the HTTP arm and read on the WebSocket, and per-user delivery from
//! outside the consumers.

use std::time::Duration;

use aqueduct::middleware::{
    AllowedHostsOriginValidator, AuthLayer, AuthMiddleware, Authenticated, Authenticator,
    CookieSessions, Key, OriginValidator, OriginValidatorLayer, TokenSource, User, UserGroups,
};
use aqueduct::prelude::*;
use aqueduct::{Refusal, Scope};
use aqueduct_tests::{
    LogCapture, TestServer, connect, expect_close, expect_nothing, recv_text, try_connect,
};
use serde::{Deserialize, Serialize};

/// A user of the test application.
#[derive(Clone, Debug, PartialEq)]
struct Account {
    id: u64,
    name: &'static str,
}

impl User for Account {
    fn id(&self) -> String {
        self.id.to_string()
    }
}

const ALICE: Account = Account {
    id: 42,
    name: "alice",
};
const BOB: Account = Account { id: 7, name: "bob" };

/// What the login handler keeps in the session cookie.
#[derive(Serialize, Deserialize)]
struct Login {
    user_id: u64,
}

/// Knows two tokens, and the session cookie; any other token is refused
/// with 401, and a panic is a bug in the application.
struct Tokens {
    sessions: CookieSessions,
}

#[async_trait]
impl Authenticator for Tokens {
    type User = Account;

    async fn authenticate(&self, token: Option<&str>, scope: &Scope) -> Authenticated<Account> {
        // A real authenticator awaits its database here.
        tokio::time::sleep(Duration::from_millis(1)).await;
        if let Some(login) = self.sessions.load::<Login>(scope.headers()) {
            return match login.user_id {
                42 => Authenticated::User(ALICE),
                _ => Authenticated::Anonymous,
            };
        }
        match token {
            Some("alice-token") => Authenticated::User(ALICE),
            Some("bob-token") => Authenticated::User(BOB),
            Some("panic") => panic!("the token database is on fire"),
            Some("revoked") => Authenticated::closed(CloseCode::new(4003), "token revoked"),
            Some(_) => Authenticated::unauthorized(),
            None => Authenticated::Anonymous,
        }
    }
}

/// What the server saw of each notification.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum Notice {
    #[serde(rename = "notify")]
    Notify { text: String },
}

/// Greets its user by name, tells whether the token is still in the
/// offered subprotocols, and passes notifications on.
#[derive(Default)]
struct Greeter;

#[async_trait]
impl WebsocketConsumer for Greeter {
    type Event = Notice;

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        let name = ctx.user::<Account>().map_or("anonymous", |user| user.name);
        let offered = ctx.scope().subprotocols().join(",");
        ctx.send_text(format!("hello {name} [{offered}]")).await
    }

    async fn event(&mut self, ctx: &mut Context, event: Notice) -> Result {
        let Notice::Notify { text } = event;
        ctx.send_text(text).await
    }
}

fn sessions() -> CookieSessions {
    // One key per test run: the login handler and the authenticator share it.
    static KEY: std::sync::OnceLock<Key> = std::sync::OnceLock::new();
    CookieSessions::private(KEY.get_or_init(Key::generate).clone())
}

/// The greeter behind `AuthMiddleware` with `sources`, and a login page
/// that writes the session cookie.
fn app(sources: Vec<TokenSource>, layer: &InMemoryChannelLayer) -> ProtocolTypeRouter {
    let auth = AuthMiddleware::new(
        Greeter::default,
        Tokens {
            sessions: sessions(),
        },
    )
    .tokens_from(sources);
    let login = axum::Router::new().route(
        "/login/",
        axum::routing::post(|| async {
            let cookie = sessions().save(&Login { user_id: 42 }).unwrap();
            ([(http::header::SET_COOKIE, cookie)], "welcome")
        }),
    );
    ProtocolTypeRouter::new()
        .http(login)
        .websocket(UrlRouter::new().route("ws/", auth))
        .with_channel_layer(layer.clone())
}

/// A URL, the request headers, and the greeting expected.
type Case<'a> = (String, &'a [(&'a str, &'a str)], &'a str);

async fn greeting(url: &str, headers: &[(&str, &str)]) -> String {
    let (mut client, _) = try_connect(url, headers).await.expect("refused");
    recv_text(&mut client).await
}

#[tokio::test]
async fn each_token_source_finds_the_user() {
    let layer = InMemoryChannelLayer::new();
    let all = vec![
        TokenSource::query("token"),
        TokenSource::Bearer,
        TokenSource::subprotocol("access_token"),
        TokenSource::cookie("auth_token"),
    ];
    let server = TestServer::start(app(all, &layer)).await;
    let url = server.ws("/ws/");
    #[rustfmt::skip]
    let table: [Case<'_>; 5] = [
        (format!("{url}?token=alice-token"), &[],                                         "hello alice []"),
        (url.clone(), &[("authorization", "Bearer bob-token")],                              "hello bob []"),
        (url.clone(), &[("cookie", "theme=dark; auth_token=alice-token")],                   "hello alice []"),
        (url.clone(), &[("sec-websocket-protocol", "chat.v1, access_token, bob-token")],   "hello bob [chat.v1,access_token]"),
        (url.clone(), &[],                                                                   "hello anonymous []"),
    ];
    for (url, headers, expected) in &table {
        assert_eq!(greeting(url, headers).await, *expected, "{url} {headers:?}");
    }
}

/// A browser that offered subprotocols fails a handshake answered with
/// none, and one answered with a protocol it did not offer; the token
/// must never come back either.
#[tokio::test]
async fn a_subprotocol_token_is_answered_with_the_marker() {
    let layer = InMemoryChannelLayer::new();
    let server = TestServer::start(app(TokenSource::defaults(), &layer)).await;
    let protocols = [("sec-websocket-protocol", "access_token, alice-token")];
    let (mut client, response) = try_connect(&server.ws("/ws/"), &protocols).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "access_token");
    assert_eq!(recv_text(&mut client).await, "hello alice [access_token]");

    // Regression: a refusal by close code answered without the marker,
    // which a browser (and tungstenite) fails as a bad handshake, so the
    // page saw 1006 instead of the code.
    let protocols = [("sec-websocket-protocol", "access_token, revoked")];
    let (mut client, response) = try_connect(&server.ws("/ws/"), &protocols).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "access_token");
    let closed = aqueduct_tests::expect_close_frame(&mut client).await;
    assert_eq!(closed, (4003, "token revoked".to_owned()));
}

#[tokio::test]
async fn refusals_reach_the_client_as_a_status_or_a_close_code() {
    let layer = InMemoryChannelLayer::new();
    let logs = LogCapture::global();
    let server = TestServer::start(app(TokenSource::defaults(), &layer)).await;
    let url = server.ws("/ws/");

    let wrong = try_connect(&format!("{url}?token=forged"), &[]).await.err();
    assert_eq!(wrong.map(|(status, _)| status), Some(401));
    logs.wait_for(&["authentication refused", "HTTP 401"]).await;

    let panicked = try_connect(&format!("{url}?token=panic"), &[]).await.err();
    assert_eq!(panicked.map(|(status, _)| status), Some(500));
    logs.wait_for(&["authenticator panicked", "on fire"]).await;

    // A browser cannot read a refused handshake's status: an application
    // that wants its page to see "log in" refuses with a close code.
    let required = AuthMiddleware::new(
        Greeter::default,
        Tokens {
            sessions: sessions(),
        },
    )
    .login_required(CloseCode::from(4001));
    let strict = TestServer::start(UrlRouter::new().route("ws/", required)).await;
    let (mut client, _) = try_connect(&strict.ws("/ws/"), &[]).await.unwrap();
    assert_eq!(expect_close(&mut client).await, 4001);
    let greeting = greeting(&strict.ws("/ws/?token=bob-token"), &[]).await;
    assert_eq!(greeting, "hello bob []");
}

/// The login happens over HTTP; the WebSocket that follows is the same
/// user, with nothing shared but the cookie.
#[tokio::test]
async fn a_session_cookie_set_by_the_http_arm_is_read_on_the_websocket() {
    let layer = InMemoryChannelLayer::new();
    let server = TestServer::start(app(TokenSource::defaults(), &layer)).await;
    let reply = aqueduct_tests::http_request(server.addr(), "POST", "/login/", Some("{}")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let set_cookie = reply.header("set-cookie").expect("the login sets a cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap();

    let url = server.ws("/ws/");
    assert_eq!(
        greeting(&url, &[("cookie", cookie)]).await,
        "hello alice []"
    );

    // A cookie the client changed is no session at all.
    let (name, value) = cookie.split_once('=').unwrap();
    let forged = format!("{name}={}", value.replace(&value[..4], "AAAA"));
    assert_eq!(
        greeting(&url, &[("cookie", &forged)]).await,
        "hello anonymous []"
    );
}

/// "Send this to user 42, in every tab they have open": two connections
/// of alice hear it, bob does not; everyone hears a broadcast.
#[tokio::test]
async fn code_outside_the_consumers_reaches_every_connection_of_one_user() {
    let layer = InMemoryChannelLayer::new();
    let server = TestServer::start(app(TokenSource::defaults(), &layer)).await;
    let url = server.ws("/ws/");
    let mut tabs = Vec::new();
    for token in ["alice-token", "alice-token", "bob-token"] {
        let (mut client, _) = try_connect(&format!("{url}?token={token}"), &[])
            .await
            .unwrap();
        recv_text(&mut client).await;
        tabs.push(client);
    }
    let groups = UserGroups::new();
    let notify = |text: &str| Event::new("notify", &serde_json::json!({ "text": text })).unwrap();
    let report = groups
        .send_to_user(&layer, "42", notify("for alice"))
        .await
        .unwrap();
    assert_eq!(report.delivered, 2);
    for alice in &mut tabs[..2] {
        assert_eq!(recv_text(alice).await, "for alice");
    }
    expect_nothing(&mut tabs[2], Duration::from_millis(200)).await;

    let report = groups
        .send_to_everyone(&layer, notify("for all"))
        .await
        .unwrap();
    assert_eq!(report.delivered, 3);
    for tab in &mut tabs {
        assert_eq!(recv_text(tab).await, "for all");
    }

    // A closed tab leaves its user's group.
    tabs[0].close(None).await.unwrap();
    drop(tabs.remove(0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = groups
        .send_to_user(&layer, "42", notify("again"))
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
}

#[tokio::test]
async fn a_cross_site_origin_is_refused_with_403_and_a_log_line_naming_it() {
    let logs = LogCapture::global();
    let chat =
        AllowedHostsOriginValidator::new(Greeter::default, ["chat.example.com", ".example.org"]);
    let server = TestServer::start(UrlRouter::new().route("ws/", chat)).await;
    let url = server.ws("/ws/");
    for allowed in ["https://chat.example.com", "http://www.example.org:8080"] {
        let greeting = greeting(&url, &[("origin", allowed)]).await;
        assert_eq!(greeting, "hello anonymous []", "{allowed}");
    }
    let refused = try_connect(&url, &[("origin", "https://evil.example")])
        .await
        .err();
    assert_eq!(refused, Some((403, "Origin not allowed".to_owned())));
    logs.wait_for(&["origin not allowed", "https://evil.example", "403"])
        .await;
    // No Origin: a client that is no browser, let in by default.
    assert_eq!(greeting(&url, &[]).await, "hello anonymous []");
}

#[tokio::test]
async fn a_missing_origin_can_be_refused_as_channels_does() {
    let strict =
        OriginValidator::new(Greeter::default, ["example.com"]).allow_missing_origin(false);
    let server = TestServer::start(UrlRouter::new().route("ws/", strict)).await;
    let refused = try_connect(&server.ws("/ws/"), &[]).await.err();
    assert_eq!(refused.map(|(status, _)| status), Some(403));
}

/// Middleware stacks built as tower's are: the outer layer runs first.
#[tokio::test]
async fn layers_stack_with_a_service_builder() {
    let stack = tower::ServiceBuilder::new()
        .layer(OriginValidatorLayer::new(["localhost"]))
        .layer(
            AuthLayer::new(Tokens {
                sessions: sessions(),
            })
            .login_required(http::StatusCode::UNAUTHORIZED),
        )
        .service(Greeter::default);
    let server = TestServer::start(UrlRouter::new().route("ws/", stack)).await;
    let url = server.ws("/ws/?token=alice-token");
    let local = [("origin", "http://localhost:3000")];
    assert_eq!(greeting(&url, &local).await, "hello alice []");
    let evil = try_connect(&url, &[("origin", "http://evil.example")])
        .await
        .err();
    assert_eq!(
        evil.map(|(status, _)| status),
        Some(403),
        "the origin check runs first"
    );
    let anonymous = try_connect(&server.ws("/ws/"), &local).await.err();
    assert_eq!(anonymous.map(|(status, _)| status), Some(401));
}

/// Middleware written by an application: edits the scope, refuses with a
/// status of its choosing, and needs no channel layer for its groups.
#[tokio::test]
async fn an_application_middleware_refuses_with_its_own_status() {
    struct OnlyTuesdays<A>(A);
    impl<A: aqueduct::WebsocketApp> aqueduct::WebsocketApp for OnlyTuesdays<A> {
        fn call(
            &self,
            mut scope: Scope,
            io: Box<dyn aqueduct::WebsocketIo>,
        ) -> aqueduct::AppFuture<'_> {
            if scope.query_param("day").as_deref() != Some("tuesday") {
                let refusal = Refusal::status(http::StatusCode::IM_A_TEAPOT);
                return Box::pin(refusal.refuse(io));
            }
            scope.set_user(BOB);
            scope.add_group("tuesday");
            self.0.call(scope, io)
        }
    }
    let server =
        TestServer::start(UrlRouter::new().route("ws/", OnlyTuesdays(Greeter::default))).await;
    let refused = try_connect(&server.ws("/ws/?day=monday"), &[]).await.err();
    assert_eq!(refused.map(|(status, _)| status), Some(418));
    let mut client = connect(&server.ws("/ws/?day=tuesday")).await;
    assert_eq!(recv_text(&mut client).await, "hello bob []");
}
