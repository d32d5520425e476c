//! The layer when Redis fails: a real `redis-server` of the test's own is
//! killed and restarted mid-traffic, and set-up mistakes are clear errors.
//!
//! Log lines are captured by one process-wide subscriber; each test reads
//! only the lines naming its own server's port, so tests stay parallel.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use aqueduct_core::{ChannelLayer, Event, LayerError};
use aqueduct_redis::{ConfigError, RedisChannelLayer, RedisConfig};
use serde_json::json;
use support::{RedisServer, capture_logs, logs, panics, unique_prefix};
use tokio::sync::mpsc;

/// How many captured lines name `host` (not a longer port) and contain `text`.
fn logged(host: &str, text: &str) -> usize {
    let names_host = |line: &str| {
        line.match_indices(host)
            .any(|(at, _)| !line[at + host.len()..].starts_with(|c: char| c.is_ascii_digit()))
    };
    let logs = logs();
    logs.lines()
        .filter(|line| line.contains(text) && names_host(line))
        .count()
}

/// The captured lines that name `host`, for a failure message.
fn lines_about(host: &str) -> String {
    let logs = logs();
    logs.lines()
        .filter(|line| line.contains(host))
        .collect::<Vec<_>>()
        .join("\n")
}

fn chat(text: &str) -> Event {
    Event::new("chat.message", &json!({ "message": text })).unwrap()
}

fn text_of(event: &Event) -> String {
    event.decode::<serde_json::Value>().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A consumer that stays connected through the outage: it keeps receiving
/// on its channel and passes on what it hears.
fn consumer(layer: RedisChannelLayer, channel: String) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match layer.receive(&channel).await {
                Ok(event) => {
                    if tx.send(text_of(&event)).is_err() {
                        return;
                    }
                }
                Err(err) => panic!("receive on a process-local channel failed: {err}"),
            }
        }
    });
    rx
}

/// Waits for `expected` among what the consumer hears.
async fn hears(rx: &mut mpsc::UnboundedReceiver<String>, expected: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(text)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if text == expected {
            return true;
        }
    }
    false
}

async fn group_members(url: &str, key: &str) -> Vec<String> {
    // While the server is down, as good as empty.
    support::sorted_set(url, key).await.unwrap_or_default()
}

/// Two processes' layers on one Redis that is killed and restarted twice
/// while one sends to a group the other's consumer joined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_traffic_is_survived() {
    capture_logs();
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let host = format!("127.0.0.1:{}", server.port);
    let prefix = unique_prefix();
    let config = || RedisConfig::new().host(server.url()).prefix(&prefix);
    let receiver = RedisChannelLayer::connect(config()).await.unwrap();
    let sender = RedisChannelLayer::connect(config()).await.unwrap();
    let channel = receiver.new_channel("specific").await.unwrap();
    receiver.group_add("chat_lobby", &channel).await.unwrap();
    let mut heard = consumer(receiver.clone(), channel.clone());

    sender
        .group_send("chat_lobby", chat("before"))
        .await
        .unwrap();
    assert!(hears(&mut heard, "before", Duration::from_secs(5)).await);

    for outage in 1..=2 {
        server.kill();
        let down = Instant::now();
        // Mid-traffic: every operation that needs Redis fails, saying why
        // and where, and none panics.
        for i in 0..10 {
            let errors = [
                sender.group_send("chat_lobby", chat("lost")).await.err(),
                sender.send(&channel, chat("lost")).await.err(),
                sender.send("worker", chat("lost")).await.err(),
                sender.group_add("chat_lobby", "worker").await.err(),
            ];
            for err in errors {
                let err =
                    err.unwrap_or_else(|| panic!("an operation succeeded in outage {outage}"));
                assert!(matches!(err, LayerError::Unavailable(_)), "{err:?}");
                let text = err.to_string();
                assert!(
                    text.contains(&host) && text.contains("unreachable"),
                    "try {i} of outage {outage}: {text}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Each process logs the outage once, not once per failed message.
        assert_eq!(logged(&host, "Redis is unreachable"), 2 * outage);

        eprintln!(
            "outage {outage}: 40 operations failed in {:?}",
            down.elapsed()
        );
        server.restart();
        let back = Instant::now();
        // Redis came back empty: the receiver writes its membership back.
        let key = format!("{prefix}:group:chat_lobby");
        while !group_members(&server.url(), &key).await.contains(&channel) {
            assert!(
                back.elapsed() < Duration::from_secs(5),
                "no rejoin after outage {outage}:\n{}",
                lines_about(&host)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // And its receive loop resumes: a new message arrives.
        let after = format!("after outage {outage}");
        loop {
            let report = sender.group_send("chat_lobby", chat(&after)).await;
            if report.is_ok_and(|report| report.delivered == 1)
                && hears(&mut heard, &after, Duration::from_millis(500)).await
            {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(5),
                "no message flows after outage {outage}:\n{}",
                lines_about(&host)
            );
        }
        eprintln!(
            "outage {outage}: messages flow {:?} after the restart",
            back.elapsed()
        );
        assert_eq!(logged(&host, "Redis is reachable again"), 2 * outage);
        assert_eq!(logged(&host, "rejoined this process's groups"), outage);
    }
    assert_eq!(logged(&host, "Redis is unreachable"), 4, "no late repeats");
    assert_eq!(panics(), 0, "something panicked");
}

/// A worker reading a named channel (no `!`, read with blocking pops of
/// its own) keeps reading through a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_channel_worker_resumes_after_a_restart() {
    capture_logs();
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let prefix = unique_prefix();
    let config = || RedisConfig::new().host(server.url()).prefix(&prefix);
    let worker = RedisChannelLayer::connect(config()).await.unwrap();
    let sender = RedisChannelLayer::connect(config()).await.unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            // Errors during the outage are expected; the worker retries.
            if let Ok(event) = worker.receive("thumbnails").await
                && tx.send(text_of(&event)).is_err()
            {
                return;
            }
        }
    });
    sender.send("thumbnails", chat("before")).await.unwrap();
    assert!(hears(&mut heard, "before", Duration::from_secs(5)).await);

    server.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.restart();
    let back = Instant::now();
    loop {
        if sender.send("thumbnails", chat("after")).await.is_ok()
            && hears(&mut heard, "after", Duration::from_millis(500)).await
        {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "the worker is stuck"
        );
    }
    eprintln!(
        "named channel: messages flow {:?} after the restart",
        back.elapsed()
    );
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_bad_url_is_refused_with_the_url_and_a_fix() {
    let table = [
        "http://127.0.0.1:6379",
        "redis://:hunter2@127.0.0.1:notaport",
        "127.0.0.1:6379",
    ];
    for url in table {
        let err = RedisChannelLayer::new(RedisConfig::new().host(url)).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, ConfigError::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(text.contains("redis://[:password@]host"), "{text}");
        assert!(!text.contains("hunter2"), "the password is shown: {text}");
        let shown = url.replace("hunter2", "***");
        assert!(text.contains(&shown), "{url} is not named: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_host_at_start_up_is_named() {
    let Some(up) = RedisServer::start() else {
        return;
    };
    let port = dead_port();
    let dead = format!("redis://127.0.0.1:{port}");
    let config = RedisConfig::new().hosts([up.url(), dead.clone()]);
    let started = Instant::now();
    let err = RedisChannelLayer::connect(config.clone())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, ConfigError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        !text.contains(&format!(":{}", up.port)),
        "names the wrong host: {text}"
    );

    // A layer made without connecting reports the same host on first use.
    let layer = RedisChannelLayer::new(RedisConfig::new().host(dead)).unwrap();
    let err = layer.send("worker", chat("hi")).await.unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_named_as_such() {
    let Some(server) = RedisServer::start_with(&["--requirepass", "right-password"]) else {
        return;
    };
    let host = format!("127.0.0.1:{}", server.port);
    let urls = [
        format!("redis://:wrong-password@{host}"),
        format!("redis://default:wrong-password@{host}"),
        format!("redis://{host}"),
    ];
    for url in urls {
        let err = RedisChannelLayer::connect(RedisConfig::new().host(&url))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ConfigError::AuthenticationFailed { .. }),
            "{url}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&host) && text.contains("credentials"),
            "{text}"
        );
        assert!(
            !text.contains("wrong-password"),
            "the password is shown: {text}"
        );
    }
    let right = format!("redis://:right-password@{host}");
    let layer = RedisChannelLayer::connect(RedisConfig::new().host(right).prefix(unique_prefix()))
        .await
        .expect("the right password");
    layer.send("worker", chat("hi")).await.unwrap();
    assert_eq!(text_of(&layer.receive("worker").await.unwrap()), "hi");
}
