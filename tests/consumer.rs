//! Consumer features over real sockets: class-level groups, sending to a
//! channel by name, and hooks that never overlap.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aqueduct::prelude::*;
use aqueduct_tests::{TestServer, connect, expect_nothing, recv_json, recv_text, send_text};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What watchers are sent: `{"type": "note", "text": …}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum WatchEvent {
    Note { text: String },
}

/// Joins `watchers` through `groups()`, tells the client its channel name,
/// and forwards `note` events to the client.
#[derive(Debug, Default)]
struct Watcher;

#[async_trait]
impl WebsocketConsumer for Watcher {
    type Event = WatchEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["watchers".to_owned()]
    }

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await?;
        let channel = ctx.channel_name().unwrap_or_default().to_owned();
        ctx.send_json(&json!({ "channel": channel })).await
    }

    async fn receive(&mut self, ctx: &mut Context, message: Message) -> Result {
        // "to <channel> <text>" sends a note to one channel by name.
        let text = message.as_text().unwrap_or_default();
        if let Some(rest) = text.strip_prefix("to ") {
            let (channel, note) = rest.split_once(' ').unwrap_or((rest, ""));
            let event = Event::from_message(&WatchEvent::Note {
                text: note.to_owned(),
            })?;
            ctx.send_to(channel, event).await?;
        }
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, event: WatchEvent) -> Result {
        match event {
            WatchEvent::Note { text } => ctx.send_text(text).await,
        }
    }
}

fn note(text: &str) -> Event {
    Event::from_message(&WatchEvent::Note {
        text: text.to_owned(),
    })
    .unwrap()
}

#[tokio::test]
async fn groups_are_joined_before_connect_and_left_after_disconnect() {
    let layer = InMemoryChannelLayer::new();
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/watch/", Watcher::default))
        .with_channel_layer(layer.clone());
    let server = TestServer::start(app).await;

    let mut client = connect(&server.ws("/ws/watch/")).await;
    recv_json(&mut client).await;
    let report = layer
        .group_send("watchers", note("from outside"))
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(recv_text(&mut client).await, "from outside");

    client.close(None).await.unwrap();
    // The group is left once disconnect has run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let report = layer.group_send("watchers", note("anyone?")).await.unwrap();
        if report.delivered == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never left the group"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_consumer_can_send_to_another_by_channel_name() {
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/watch/", Watcher::default))
        .with_channel_layer(InMemoryChannelLayer::new());
    let server = TestServer::start(app).await;
    let mut alice = connect(&server.ws("/ws/watch/")).await;
    let mut bob = connect(&server.ws("/ws/watch/")).await;
    recv_json(&mut alice).await;
    let bob_channel = recv_json(&mut bob).await["channel"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(bob_channel.starts_with("specific."), "{bob_channel}");

    send_text(&mut alice, &format!("to {bob_channel} psst")).await;
    assert_eq!(recv_text(&mut bob).await, "psst");
    expect_nothing(&mut alice, Duration::from_millis(200)).await;
    server.shutdown().await;
}

/// Records when each hook starts and ends, and dawdles in each.
#[derive(Debug)]
struct Slow {
    log: Arc<Mutex<Vec<&'static str>>>,
}

#[async_trait]
impl WebsocketConsumer for Slow {
    type Event = WatchEvent;

    fn groups(&self, _scope: &aqueduct::Scope) -> Vec<String> {
        vec!["slow".to_owned()]
    }

    async fn receive(&mut self, _ctx: &mut Context, _message: Message) -> Result {
        self.log.lock().unwrap().push("start");
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.log.lock().unwrap().push("end");
        Ok(())
    }

    async fn event(&mut self, ctx: &mut Context, _event: WatchEvent) -> Result {
        self.log.lock().unwrap().push("start");
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.log.lock().unwrap().push("end");
        ctx.send_text("event handled").await
    }
}

#[tokio::test]
async fn hooks_of_one_connection_never_overlap() {
    let layer = InMemoryChannelLayer::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let factory_log = log.clone();
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/slow/", move || Slow {
            log: factory_log.clone(),
        }))
        .with_channel_layer(layer.clone());
    let server = TestServer::start(app).await;
    let mut client = connect(&server.ws("/ws/slow/")).await;

    for _ in 0..10 {
        send_text(&mut client, "work").await;
        layer.group_send("slow", note("work")).await.unwrap();
    }
    for _ in 0..10 {
        assert_eq!(recv_text(&mut client).await, "event handled");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while log.lock().unwrap().len() < 40 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "hooks did not all run"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = log.lock().unwrap().clone();
    let expected: Vec<_> = ["start", "end"].iter().copied().cycle().take(40).collect();
    assert_eq!(
        log, expected,
        "a hook started before the previous one ended"
    );
    server.shutdown().await;
}
