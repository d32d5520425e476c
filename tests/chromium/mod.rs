//! Headless Chromium for the browser tests: launching it in a profile of
//! its own, and waiting on a page's state.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aqueduct_tests::service_available;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::Page;
use futures_util::StreamExt;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one browser step (a launch, a condition) may take.
const PATIENCE: Duration = Duration::from_secs(15);

/// Runs `scenario` in a fresh Chromium profile directory named after
/// `name`, removed afterwards, failing the test if it takes over 120 s.
/// Without Chromium the test is skipped (or fails, in CI).
pub async fn in_chromium<F, Fut>(name: &str, scenario: F)
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    if !service_available("Chromium (/usr/bin/chromium)", Path::new(CHROMIUM).exists()) {
        return;
    }
    let profile = std::env::temp_dir().join(format!("aqueduct-{name}-{}", std::process::id()));
    // A browser step that never answers must fail the test, not hang CI.
    let finished = tokio::time::timeout(Duration::from_secs(120), scenario(profile.clone())).await;
    let _ = std::fs::remove_dir_all(&profile);
    finished.expect("the browser scenario did not finish in 120 s");
}

/// Launches headless Chromium with `profile`, and `extra` flags.
pub async fn launch(profile: &Path, extra: &[&str]) -> (Browser, tokio::task::JoinHandle<()>) {
    let config = BrowserConfig::builder()
        .chrome_executable(CHROMIUM)
        .user_data_dir(profile)
        .no_sandbox()
        // Without these Chromium reaches for Google's services at start,
        // which a closed network refuses noisily.
        .args([
            "disable-gpu",
            "disable-quic",
            "no-first-run",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
        ])
        .args(extra.iter().copied())
        .launch_timeout(PATIENCE)
        .build()
        .expect("browser config");
    let (browser, mut handler) = Browser::launch(config).await.expect("launch Chromium");
    let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });
    (browser, driver)
}

/// Waits until the JavaScript `condition` holds on `page`, failing the
/// test after [`PATIENCE`] with `what` it waited for.
pub async fn wait_until(page: &Page, condition: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let met: bool = page
            .evaluate(condition)
            .await
            .ok()
            .and_then(|result| result.into_value().ok())
            .unwrap_or(false);
        if met {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("gave up waiting for {what} after {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
