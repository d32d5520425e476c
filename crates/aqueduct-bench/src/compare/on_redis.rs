//! The targets on Redis (issue 8): every server on the same Redis, each
//! run under a key prefix of its own.

use serde_json::json;

use super::deployment::{Deployment, Server};
use super::harness::Harness;
use super::plan::Plan;
use super::table::Trio;
use super::targets::echo_args;
use crate::cli::Command;
use crate::scenario::{FanoutArgs, RedisRateArgs};

/// g. The chat route as echo, one room per connection (as b), on
/// `RedisChannelLayer`; against Django on channels_redis, and against half
/// of Redis's own unpipelined rate, measured by redis-benchmark in each
/// round before the servers.
pub(super) async fn chat_as_echo(harness: &mut Harness, plan: &Plan) {
    let mut servers = vec![Server::Redis, Server::AqueductRedis];
    if harness.has_django() {
        servers.insert(1, Server::DjangoRedis);
    }
    let job = |deployment: &Deployment| match deployment.server() {
        Server::Redis => Command::RedisRate(RedisRateArgs {
            redis: deployment.redis_url().to_owned(),
            requests: plan.redis_requests,
            clients: 50,
            tests: "set,zadd,zpopmin".into(),
        }),
        _ => Command::Echo(echo_args(plan, deployment, true)),
    };
    let target = "g chat as echo on Redis";
    let medians = harness
        .repeated_each(target, &servers, plan.repeat, job)
        .await;
    let (redis, aqueduct) = (medians.of(Server::Redis), medians.of(Server::AqueductRedis));

    let figures = [
        "msgs_per_sec",
        "p50_us",
        "p90_us",
        "p99_us",
        "errors",
        "redis_cpu_pct",
        "redis_cpu_us_per_msg",
        "redis_evalsha_calls",
        "redis_connections",
    ];
    let against_django = Trio {
        baseline: medians.of(Server::DjangoRedis),
        aqueduct: aqueduct.clone(),
        django: None,
    };
    harness
        .table
        .add(target, "django-redis", &against_django, &figures);

    let rates = [
        "set_per_sec",
        "zadd_per_sec",
        "zpopmin_per_sec",
        "ops_per_sec",
    ];
    let alone = Trio {
        baseline: redis.clone(),
        ..Trio::default()
    };
    harness.table.add("g Redis alone", "redis", &alone, &rates);
    let half = redis
        .as_ref()
        .and_then(|redis| redis.get("half_ops_per_sec").cloned());
    let against_redis = Trio {
        baseline: half.map(|half| json!({ "msgs_per_sec": half })),
        aqueduct,
        django: None,
    };
    harness.table.add(
        "g against Redis / 2",
        "redis/2",
        &against_redis,
        &["msgs_per_sec"],
    );
}

/// h. Fan-out to one room at 20 msg/s with its subscribers split over two
/// aqueduct processes on one Redis, the publisher on the first; against
/// one aqueduct process on the in-memory layer with as many subscribers,
/// and Django (one Daphne) on channels_redis.
pub(super) async fn fanout(harness: &mut Harness, plan: &Plan) {
    let subscribers = plan.redis_fanout_subscribers;
    let mut servers = vec![Server::Aqueduct, Server::AqueductRedisPair];
    if harness.has_django() {
        servers.push(Server::DjangoRedis);
    }
    let job = |deployment: &Deployment| {
        let path = "/ws/chat/bench/";
        Command::Fanout(FanoutArgs {
            url: deployment.url(path),
            also_urls: deployment.other_urls(path),
            subscribers,
            rate: plan.fanout_rate,
            duration: plan.fanout_duration,
            size: plan.fanout_size,
            drain: plan.fanout_drain,
        })
    };
    let target = format!("h fanout {subscribers} on Redis");
    let medians = harness
        .repeated_each(&target, &servers, plan.repeat, job)
        .await;
    let trio = Trio {
        baseline: medians.of(Server::Aqueduct),
        aqueduct: medians.of(Server::AqueductRedisPair),
        django: medians.of(Server::DjangoRedis),
    };
    let figures = [
        "expected_deliveries",
        "deliveries",
        "lost",
        "delivered_pct",
        "deliveries_per_sec",
        "p50_us",
        "p90_us",
        "p99_us",
        "last_p99_us",
        "keeps_up",
        "redis_cpu_pct",
        "redis_evalsha_calls",
        "redis_connections",
    ];
    harness.table.add(&target, "in-memory", &trio, &figures);
}
