//! The notify example over real sockets: per-user delivery from HTTP and
//! from outside any request, who may connect, and a login over HTTP that
//! the WebSocket recognises by its cookie.

use std::sync::Arc;
use std::time::Duration;

use aqueduct::middleware::UserGroups;
use aqueduct::{ChannelLayer, Event, InMemoryChannelLayer};
use aqueduct_tests::{
    Client, TestServer, connect, connect_refused_with_headers, connect_with_headers,
    expect_close_frame, expect_nothing, http_request, http_request_with, recv_json,
};
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(300);
/// Pages on these hosts may open sockets, on any port: the test server's
/// is not known before the application is made.
const HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// A handshake's path and added headers, and what it should come to: the
/// user greeted, or the reason it is closed with.
type Handshake<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// Connects as the holder of `token` and checks the greeting names `user`.
async fn connect_as(server: &TestServer, token: &str, user: &str) -> Client {
    let mut client = connect(&server.ws(&format!("/ws/notify/?token={token}"))).await;
    assert_eq!(recv_json(&mut client).await, hello(user));
    client
}

fn hello(user: &str) -> Value {
    json!({"type": "hello", "user": user})
}

fn notification(text: &str) -> Value {
    json!({"type": "notify", "text": text})
}

/// POSTs `body` as JSON to `path`; returns the status and the JSON answer.
async fn post(server: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let reply = http_request(server.addr(), "POST", path, Some(&body.to_string())).await;
    let answer = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    (reply.status, answer)
}

#[tokio::test]
async fn a_notification_reaches_every_tab_of_its_user_and_no_one_else() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let mut alice_one = connect_as(&server, "alice-token", "alice").await;
    let mut alice_two = connect_as(&server, "alice-token", "alice").await;
    let mut bob = connect_as(&server, "bob-token", "bob").await;

    let sent = post(&server, "/notify/alice/", &json!({"text": "for alice"})).await;
    assert_eq!(sent, (202, json!({"delivered": 2})));
    for alice in [&mut alice_one, &mut alice_two] {
        assert_eq!(recv_json(alice).await, notification("for alice"));
    }
    expect_nothing(&mut bob, QUIET).await;

    let sent = post(&server, "/notify/", &json!({"text": "for everyone"})).await;
    assert_eq!(sent, (202, json!({"delivered": 3})));
    for client in [&mut alice_one, &mut alice_two, &mut bob] {
        assert_eq!(recv_json(client).await, notification("for everyone"));
    }

    // A user with no tab open is no error: the send reaches nobody.
    let sent = post(&server, "/notify/carol/", &json!({"text": "anyone?"})).await;
    assert_eq!(sent, (202, json!({"delivered": 0})));
    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_text_body_is_the_notification_as_curl_sends_it() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let mut bob = connect_as(&server, "bob-token", "bob").await;
    // What `curl -X POST -d 'hello' …/notify/bob/` sends.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let reply = http_request_with(server.addr(), "POST", "/notify/bob/", &form, "hello").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (202, r#"{"delivered":1}"#)
    );
    assert_eq!(recv_json(&mut bob).await, notification("hello"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_send_the_caller_got_wrong_is_answered_with_400_and_why() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let long_id = format!("/notify/{}/", "x".repeat(200));
    #[rustfmt::skip]
    let table = [
        ("/notify/alice/", r#"{"message":"hi"}"#, "missing field `text`"),
        ("/notify/alice/", "not json",             "expected ident"),
        (long_id.as_str(), r#"{"text":"hi"}"#,     "too long for a group name"),
    ];
    for (path, body, why) in table {
        let reply = http_request(server.addr(), "POST", path, Some(body)).await;
        assert_eq!(reply.status, 400, "{path} {body}: {reply:?}");
        assert!(reply.body.contains(why), "{path} {body}: {reply:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn code_outside_any_request_sends_through_the_layer_by_the_documented_names() {
    let layer: Arc<dyn ChannelLayer> = Arc::new(InMemoryChannelLayer::new());
    let server = TestServer::start(example_notify::app_with_layer(layer.clone(), HOSTS)).await;
    let mut alice = connect_as(&server, "alice-token", "alice").await;
    let mut bob = connect_as(&server, "bob-token", "bob").await;

    // What a background task holding the layer does.
    let event = Event::new("notify", &json!({"text": "from a task"})).unwrap();
    let report = UserGroups::new()
        .send_to_user(&*layer, "alice", event)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(recv_json(&mut alice).await, notification("from a task"));
    expect_nothing(&mut bob, QUIET).await;

    // The group is `user.<id>`, so any sender on the layer (a Django
    // worker on the same Redis) can name it.
    let event = Event::new("notify", &json!({"text": "by name"})).unwrap();
    let report = layer.group_send("user.bob", event).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(recv_json(&mut bob).await, notification("by name"));
    server.shutdown().await;
}

#[tokio::test]
async fn each_way_of_proving_who_you_are_names_its_user() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let alice_cookie = log_in(&server, "alice").await;
    let alice_cookie = alice_cookie.as_str();
    #[rustfmt::skip]
    let table: [Handshake<'_>; 6] = [
        ("/ws/notify/?token=alice-token", &[],                                                        "alice"),
        ("/ws/notify/",                   &[("authorization", "Bearer bob-token")],                   "bob"),
        ("/ws/notify/",                   &[("sec-websocket-protocol", "access_token, carol-token")], "carol"),
        ("/ws/notify/",                   &[("cookie", alice_cookie)],                                "alice"),
        // A token is more deliberate than a cookie the browser sends along.
        ("/ws/notify/?token=bob-token",   &[("cookie", alice_cookie)],                                "bob"),
        // A page served from an allowed host.
        ("/ws/notify/?token=alice-token", &[("origin", "http://localhost:8000")],                     "alice"),
    ];
    for (path, headers, user) in table {
        let (mut client, response) = connect_with_headers(&server.ws(path), headers).await;
        assert_eq!(
            recv_json(&mut client).await,
            hello(user),
            "{path} {headers:?}"
        );
        // A browser that offered subprotocols fails an answer without one.
        let offered = headers
            .iter()
            .any(|(name, _)| *name == "sec-websocket-protocol");
        let answered = response.headers().get("sec-websocket-protocol");
        assert_eq!(answered.is_some(), offered, "{path} {headers:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn strangers_are_closed_with_4001_and_other_sites_refused_with_403() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let cookie = log_in(&server, "alice").await;
    let tampered = tamper(&cookie);
    let other = TestServer::start(example_notify::app(HOSTS)).await;
    let other_key = log_in(&other, "alice").await;
    #[rustfmt::skip]
    let closed: [Handshake<'_>; 5] = [
        ("/ws/notify/",               &[],                                 "login required"),
        ("/ws/notify/?token=mallory", &[],                                 "unknown token"),
        ("/ws/notify/",               &[("authorization", "Bearer nope")], "unknown token"),
        ("/ws/notify/",               &[("cookie", tampered.as_str())],    "login required"),
        // Sealed by another server's key: as good as forged.
        ("/ws/notify/",               &[("cookie", other_key.as_str())],   "login required"),
    ];
    for (path, headers, reason) in closed {
        let (mut client, _) = connect_with_headers(&server.ws(path), headers).await;
        let close = expect_close_frame(&mut client).await;
        assert_eq!(close, (4001, reason.to_owned()), "{path} {headers:?}");
    }

    // A page on another site is refused even with a good token: its
    // browser would send the user's cookie all the same.
    let evil = [("origin", "http://evil.example")];
    let url = server.ws("/ws/notify/?token=alice-token");
    let (status, body) = connect_refused_with_headers(&url, &evil).await;
    assert_eq!((status, body.as_str()), (403, "Origin not allowed"));
    server.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn a_login_over_http_is_the_same_user_on_the_websocket() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let reply = http_request(
        server.addr(),
        "POST",
        "/login/",
        Some(r#"{"user":"alice"}"#),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, r#"{"user":"alice"}"#)
    );
    let set_cookie = reply.header("set-cookie").expect("a session cookie");
    for attribute in ["aqueduct_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }

    // The browser sends the cookie back with the handshake.
    let cookie = set_cookie.split(';').next().unwrap();
    let (mut alice, _) =
        connect_with_headers(&server.ws("/ws/notify/"), &[("cookie", cookie)]).await;
    assert_eq!(recv_json(&mut alice).await, hello("alice"));
    let sent = post(&server, "/notify/alice/", &json!({"text": "welcome"})).await;
    assert_eq!(sent, (202, json!({"delivered": 1})));
    assert_eq!(recv_json(&mut alice).await, notification("welcome"));
    server.shutdown().await;
}

#[tokio::test]
async fn the_login_form_redirects_and_logging_out_clears_the_cookie() {
    let server = TestServer::start(example_notify::app(HOSTS)).await;
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    #[rustfmt::skip]
    let table = [
        ("/login/",  "user=bob",     303, Some("/"), Some("aqueduct_session=")),
        ("/login/",  "user=mallory", 401, None,      None),
        ("/logout/", "",             303, Some("/"), Some("Max-Age=0")),
    ];
    for (path, body, status, location, cookie) in table {
        let reply = http_request_with(server.addr(), "POST", path, &form, body).await;
        assert_eq!(reply.status, status, "{path} {body}: {reply:?}");
        assert_eq!(reply.header("location"), location, "{path} {body}");
        let set_cookie = reply.header("set-cookie");
        match cookie {
            Some(expected) => assert!(set_cookie.unwrap().contains(expected), "{reply:?}"),
            None => assert_eq!(set_cookie, None, "{path} {body}"),
        }
    }
    server.shutdown().await;
}

/// Logs `user` in over HTTP; returns the `name=value` pair a browser
/// would send back in its `Cookie` header.
async fn log_in(server: &TestServer, user: &str) -> String {
    let body = json!({ "user": user }).to_string();
    let reply = http_request(server.addr(), "POST", "/login/", Some(&body)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let set_cookie = reply.header("set-cookie").expect("a session cookie");
    set_cookie.split(';').next().unwrap().to_owned()
}

/// `cookie` with one character of its sealed value changed.
fn tamper(cookie: &str) -> String {
    let (name, value) = cookie.split_once('=').unwrap();
    let middle = value.len() / 2;
    let swapped = if &value[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    format!(
        "{name}={}{swapped}{}",
        &value[..middle],
        &value[middle + 1..]
    )
}
