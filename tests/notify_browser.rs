//! The notify example in a real headless Chromium: a notification posted
//! for alice shows in every one of her tabs and in no one else's, and a
//! tab that logs in with the page's form (a session cookie) is hers too.

mod chromium;

use std::path::PathBuf;

use aqueduct_tests::{TestServer, http_request};
use chromiumoxide::browser::Browser;
use chromiumoxide::page::Page;
use serde_json::json;

use self::chromium::{in_chromium, launch, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_shows_in_every_tab_of_its_user_only() {
    in_chromium("chromium-notify", notify_in_the_browser).await;
}

async fn notify_in_the_browser(profile: PathBuf) {
    let server = TestServer::start(example_notify::app(["127.0.0.1"])).await;
    let (mut browser, driver) = launch(&profile, &[]).await;

    let alice_one = open_as(&browser, &server, "?token=alice-token", "alice").await;
    let alice_two = open_as(&browser, &server, "?token=alice-token", "alice").await;
    let bob = open_as(&browser, &server, "?token=bob-token", "bob").await;

    assert_eq!(notify(&server, "/notify/alice/", "for alice").await, 2);
    for page in [&alice_one, &alice_two] {
        wait_for_notification(page, "for alice").await;
    }

    // A tab with no token is refused with a code the page can read...
    let by_form = browser.new_page(server.http("/")).await.unwrap();
    wait_until(
        &by_form,
        "document.querySelector('#status').textContent.startsWith('refused (code 4001: login required)')",
        "the tab without a token to be refused with 4001",
    )
    .await;
    // ...until it logs in: the form posts, the answer sets the session
    // cookie and sends the tab back to `/`, whose socket carries it.
    by_form.bring_to_front().await.unwrap();
    by_form
        .evaluate("document.querySelector('#login-user').value = 'alice'")
        .await
        .unwrap();
    by_form
        .find_element("#login-submit")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_user(&by_form, "alice").await;

    assert_eq!(notify(&server, "/notify/alice/", "again").await, 3);
    for page in [&alice_one, &alice_two, &by_form] {
        wait_for_notification(page, "again").await;
    }
    assert_eq!(notify(&server, "/notify/", "for everyone").await, 4);
    wait_for_notification(&bob, "for everyone").await;
    // Delivery is FIFO: anything meant for alice would have come first.
    assert_eq!(notifications(&bob).await, ["for everyone"]);
    assert_eq!(
        notifications(&alice_one).await,
        ["for alice", "again", "for everyone"]
    );

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    driver.abort();
    server.shutdown().await;
}

/// Opens the page with `query` and waits until its socket is `user`'s.
async fn open_as(browser: &Browser, server: &TestServer, query: &str, user: &str) -> Page {
    let page = browser
        .new_page(server.http(&format!("/{query}")))
        .await
        .unwrap();
    wait_for_user(&page, user).await;
    page
}

/// Waits until `page` is connected and greeted as `user`.
async fn wait_for_user(page: &Page, user: &str) {
    let condition = format!(
        "document.querySelector('#status').textContent === 'connected' \
         && document.querySelector('#user').textContent === {}",
        json!(user)
    );
    wait_until(page, &condition, &format!("the page to connect as {user}")).await;
}

/// POSTs `text` to `path`, as the application's own code would; returns
/// how many tabs it reached.
async fn notify(server: &TestServer, path: &str, text: &str) -> u64 {
    let body = json!({ "text": text }).to_string();
    let reply = http_request(server.addr(), "POST", path, Some(&body)).await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let answer: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    answer["delivered"].as_u64().unwrap()
}

async fn notifications(page: &Page) -> Vec<String> {
    page.evaluate("[...document.querySelectorAll('#notifications li')].map(li => li.textContent)")
        .await
        .unwrap()
        .into_value()
        .unwrap()
}

async fn wait_for_notification(page: &Page, text: &str) {
    let condition = format!(
        "[...document.querySelectorAll('#notifications li')].some(li => li.textContent === {})",
        json!(text)
    );
    wait_until(page, &condition, &format!("{text:?} in the list")).await;
}
