//! What the layer costs Redis: commands per group send, and connections
//! per process, whatever the number of members and connections.

mod support;

use std::time::Duration;

use aqueduct_core::{ChannelLayer, Context, Event, NoEvents, Result, Scope, WebsocketConsumer};
use aqueduct_redis::{RedisChannelLayer, RedisConfig};
use aqueduct_routing::{ProtocolTypeRouter, UrlRouter};
use aqueduct_test::WebsocketCommunicator;
use async_trait::async_trait;
use support::RedisServer;

/// One field of `INFO` on the server at `url`, as a number.
fn info(url: &str, section: &str, field: &str) -> u64 {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_connection().unwrap();
    let text: String = redis::cmd("INFO").arg(section).query(&mut conn).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .map_or(0, |value| {
            // commandstats rows read `calls=3,usec=…`.
            let value = value.split(',').next().unwrap();
            let value = value.strip_prefix("calls=").unwrap_or(value);
            value.trim().parse().unwrap()
        })
}

/// Scripts run, `EVAL` and `EVALSHA` together.
fn scripts_run(url: &str) -> u64 {
    info(url, "commandstats", "cmdstat_evalsha") + info(url, "commandstats", "cmdstat_eval")
}

/// Makes `count` channels in a group, half on each of two processes.
async fn group_of(count: usize, a: &RedisChannelLayer, b: &RedisChannelLayer) {
    for n in 0..count {
        let layer = if n % 2 == 0 { a } else { b };
        let channel = layer.new_channel("specific").await.unwrap();
        layer.group_add("big", &channel).await.unwrap();
    }
}

/// Regression guard: a group send must not cost a command per member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_send_runs_two_scripts_whatever_the_group_size() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let config = || RedisConfig::new().host(url.clone());
    let event = Event::new("chat.message", &serde_json::json!({"message": "hi"})).unwrap();
    let mut costs = Vec::new();
    for members in [10, 1000] {
        let a = RedisChannelLayer::connect(config()).await.unwrap();
        let b = RedisChannelLayer::connect(config()).await.unwrap();
        group_of(members, &a, &b).await;
        // Once first, so the scripts are loaded and later runs are EVALSHA.
        a.group_send("big", event.clone()).await.unwrap();
        let before = scripts_run(&url);
        let report = a.group_send("big", event.clone()).await.unwrap();
        costs.push(scripts_run(&url) - before);
        assert_eq!(report.delivered, members);
        a.flush().await.unwrap();
    }
    // The membership script, then one group-send script for the one host.
    assert_eq!(costs, [2, 2]);
}

#[derive(Default)]
struct Idle;

#[async_trait]
impl WebsocketConsumer for Idle {
    type Event = NoEvents;

    fn groups(&self, _scope: &Scope) -> Vec<String> {
        vec!["everyone".to_owned()]
    }

    async fn connect(&mut self, ctx: &mut Context) -> Result {
        ctx.accept().await
    }
}

/// Connections to Redis per process: one for commands and one reader per
/// host, however many WebSocket connections it serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_share_a_fixed_number_of_redis_connections() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let layer = RedisChannelLayer::connect(RedisConfig::new().host(url.clone()))
        .await
        .unwrap();
    let app = ProtocolTypeRouter::new()
        .websocket(UrlRouter::new().route("ws/", Idle::default))
        .with_channel_layer(layer);
    let mut clients = Vec::new();
    let mut counts = Vec::new();
    for target in [1, 200] {
        while clients.len() < target {
            let mut client = WebsocketCommunicator::new(app.clone(), "/ws/");
            client.connect().await.assert_accepted();
            clients.push(client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Less the connection asking.
        counts.push(info(&url, "clients", "connected_clients") - 1);
    }
    assert_eq!(
        counts,
        [2, 2],
        "Redis connections with 1, then 200 WebSockets"
    );
}
