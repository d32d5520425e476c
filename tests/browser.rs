//! The chat example in a real headless Chromium: pages in one room hear
//! each other, another room hears nothing, and a page whose socket is cut
//! reconnects and keeps chatting; the same chat over `https://` and
//! `wss://`, with Chromium trusting the certificate the test made; and
//! pages on two servers that share a room through Redis.

mod chromium;

use std::path::PathBuf;

use aqueduct_tests::{ScopeRecorder, TestCert, TestServer, service_available};
use chromiumoxide::browser::Browser;
use chromiumoxide::page::Page;

use self::chromium::{in_chromium, launch, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_chat_within_a_room_and_survive_a_cut() {
    in_chromium("chromium", chat_in_the_browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_chat_over_tls_with_the_test_certificate() {
    in_chromium("chromium-tls", chat_over_tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_on_two_servers_chat_through_redis() {
    let redis_up = std::net::TcpStream::connect("127.0.0.1:6379").is_ok();
    if service_available("Redis at 127.0.0.1:6379", redis_up) {
        in_chromium("chromium-redis", chat_through_redis).await;
    }
}

/// Two servers, as two processes would be, each with its own Redis layer
/// on one Redis and one prefix: a room spans both.
async fn chat_through_redis(profile: PathBuf) {
    use aqueduct::redis::{RedisChannelLayer, RedisConfig};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("browser-{}-{nanos}-", std::process::id());
    let layer = || async {
        let config = RedisConfig::new()
            .host("redis://127.0.0.1:6379")
            .prefix(&prefix);
        RedisChannelLayer::connect(config).await.unwrap()
    };
    let first = TestServer::start(example_chat::app_with_layer(layer().await)).await;
    let second = TestServer::start(example_chat::app_with_layer(layer().await)).await;
    let (mut browser, driver) = launch(&profile, &[]).await;

    let one = open_room(&browser, &first.http("/chat/lobby/")).await;
    let two = open_room(&browser, &second.http("/chat/lobby/")).await;
    let other = open_room(&browser, &second.http("/chat/other/")).await;
    say(&one, "from the first server").await;
    wait_for_line(&two, "from the first server").await;
    say(&two, "from the second server").await;
    wait_for_line(&one, "from the second server").await;
    say(&other, "elsewhere").await;
    wait_for_line(&other, "elsewhere").await;
    assert_eq!(
        log_of(&other).await,
        "elsewhere\n",
        "the other room heard the lobby"
    );

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    driver.abort();
    first.shutdown().await;
    second.shutdown().await;
}

async fn chat_over_tls(profile: PathBuf) {
    let cert = TestCert::new();
    let chat = example_chat::app();
    let (recorder, mut scopes) = ScopeRecorder::new(chat.clone());
    let (cert_path, key_path) = (cert.cert_path(), cert.key_path());
    let server = TestServer::start_with(chat.websocket(recorder), move |server| {
        server.tls_pem_files(cert_path, key_path).unwrap()
    })
    .await;
    let trust = format!(
        "ignore-certificate-errors-spki-list={}",
        cert.spki_sha256_base64()
    );
    let (mut browser, driver) = launch(&profile, &[&trust]).await;
    let room = format!("https://localhost:{}/chat/lobby/", server.addr().port());

    let one = open_room(&browser, &room).await;
    let two = open_room(&browser, &room).await;
    // ALPN gave the page HTTP/2.
    let protocol: String = one
        .evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(protocol, "h2");
    // Chromium saw the server allow extended CONNECT in its SETTINGS, and
    // opened each WebSocket as a stream of that HTTP/2 connection (RFC 8441).
    for _ in 0..2 {
        let seen = scopes.next().await;
        assert_eq!(seen, (http::Version::HTTP_2, "wss".to_owned()));
    }
    say(&one, "hello over TLS").await;
    wait_for_line(&two, "hello over TLS").await;
    wait_for_line(&one, "hello over TLS").await;

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    driver.abort();
    server.shutdown().await;
}

async fn chat_in_the_browser(profile: PathBuf) {
    let server = TestServer::start(example_chat::app()).await;
    let addr = server.addr();
    let (mut browser, driver) = launch(&profile, &[]).await;

    // The index page sends a visitor to the room they name.
    let index = browser.new_page(server.http("/chat/")).await.unwrap();
    type_into(&index, "#room-name-input", "lobby").await;
    click(&index, "#room-name-submit").await;
    wait_until(
        &index,
        "window.location.pathname === '/chat/lobby/'",
        "index page to open the room",
    )
    .await;

    let one = open_room(&browser, &server.http("/chat/lobby/")).await;
    let two = open_room(&browser, &server.http("/chat/lobby/")).await;
    let other = open_room(&browser, &server.http("/chat/other/")).await;

    say(&one, "hello from one").await;
    wait_for_line(&one, "hello from one").await;
    wait_for_line(&two, "hello from one").await;
    say(&two, "hello back").await;
    wait_for_line(&one, "hello back").await;
    // Both messages went out before this one, and the room is FIFO.
    say(&other, "anyone here?").await;
    wait_for_line(&other, "anyone here?").await;
    assert_eq!(
        log_of(&other).await,
        "anyone here?\n",
        "the other room heard the lobby"
    );
    assert!(
        !log_of(&one).await.contains("anyone here?"),
        "the lobby heard the other room"
    );

    // Cut every socket by restarting the server on the same port.
    server.shutdown().await;
    wait_until(
        &one,
        "document.querySelector('#status').textContent.startsWith('disconnected')",
        "page to notice the cut",
    )
    .await;
    let server = TestServer::start_at(addr, example_chat::app()).await;
    wait_until(
        &one,
        "document.querySelector('#status').textContent === 'connected'",
        "page one to reconnect",
    )
    .await;
    wait_until(
        &two,
        "document.querySelector('#status').textContent === 'connected'",
        "page two to reconnect",
    )
    .await;
    say(&two, "after the cut").await;
    wait_for_line(&one, "after the cut").await;

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    driver.abort();
    server.shutdown().await;
}

async fn open_room(browser: &Browser, url: &str) -> Page {
    let page = browser.new_page(url).await.unwrap();
    wait_until(
        &page,
        "document.querySelector('#status').textContent === 'connected'",
        "room page to connect",
    )
    .await;
    page
}

async fn type_into(page: &Page, selector: &str, text: &str) {
    // Headless Chromium renders only the front tab, and clicks wait for a frame.
    page.bring_to_front().await.unwrap();
    page.find_element(selector)
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(text)
        .await
        .unwrap();
}

async fn click(page: &Page, selector: &str) {
    page.bring_to_front().await.unwrap();
    page.find_element(selector)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types a message and presses the send button, as a person would.
async fn say(page: &Page, text: &str) {
    type_into(page, "#chat-message-input", text).await;
    click(page, "#chat-message-submit").await;
}

async fn log_of(page: &Page) -> String {
    page.evaluate("document.querySelector('#chat-log').value")
        .await
        .unwrap()
        .into_value()
        .unwrap()
}

async fn wait_for_line(page: &Page, line: &str) {
    let condition = format!(
        "document.querySelector('#chat-log').value.split('\\n').includes({})",
        serde_json::to_string(line).unwrap()
    );
    wait_until(page, &condition, &format!("{line:?} in the chat log")).await;
}
