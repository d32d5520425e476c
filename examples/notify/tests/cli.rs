//! `cargo run -p example-notify` as a user runs it: a process, a port, a
//! page, and `curl` notifying a tab.

use aqueduct_tests::{
    ExampleProcess, connect_refused_with_headers, connect_with_headers, expect_close, http_get,
    http_request_with, recv_json,
};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_example-notify");

#[tokio::test]
async fn serves_the_page_and_curl_notifies_a_tab_from_this_port_only() {
    let notify = ExampleProcess::start(BINARY, &["--addr", "127.0.0.1:0"], &[]);
    assert!(
        notify.banner.contains("/?token=alice-token"),
        "{}",
        notify.banner
    );
    let addr = notify.addr();
    let (status, body) = http_get(addr, "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("id=\"notifications\""), "{body}");

    // The allowed hosts name the port the system picked: a page from
    // another program on this machine (another port) is refused.
    let url = format!("ws://{addr}/ws/notify/?token=alice-token");
    let port = addr.port();
    let elsewhere = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let (status, _) = connect_refused_with_headers(&url, &[("origin", &elsewhere)]).await;
    assert_eq!(status, 403);
    let here = format!("http://localhost:{port}");
    let (mut alice, _) = connect_with_headers(&url, &[("origin", &here)]).await;
    assert_eq!(
        recv_json(&mut alice).await,
        json!({"type": "hello", "user": "alice"})
    );

    // `curl -X POST -d 'hello' http://…/notify/alice/`
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let reply = http_request_with(addr, "POST", "/notify/alice/", &form, "hello").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (202, r#"{"delivered":1}"#)
    );
    assert_eq!(
        recv_json(&mut alice).await,
        json!({"type": "notify", "text": "hello"})
    );

    let stopped = tokio::task::spawn_blocking(move || notify.terminate());
    assert_eq!(expect_close(&mut alice).await, 1001);
    assert!(stopped.await.unwrap(), "exit status was not success");
}
