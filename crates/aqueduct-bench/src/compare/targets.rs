//! The targets of issue 3, each a set of runs on fresh servers that ends in
//! rows of the table. Every pairing runs the baseline first, then aqueduct.

use serde_json::{Map, Value};

use super::deployment::{Deployment, Server};
use super::harness::Harness;
use super::plan::Plan;
use super::table::Trio;
use crate::cli::Command;
use crate::scenario::{ChurnArgs, ConnectArgs, EchoArgs, FanoutArgs, FloodArgs, IdleArgs};

/// The echo figures of targets a and b: throughput, and p50, p90 and p99
/// so that a tail that differs shows apart from a median that does not.
const ECHO_FIGURES: &[&str] = &["msgs_per_sec", "p50_us", "p90_us", "p99_us", "errors"];

/// a. Echo on `/ws/echo/`.
pub(super) async fn echo(harness: &mut Harness, plan: &Plan) {
    let servers = harness.servers(Server::RawEcho);
    let job = |process: &_| Command::Echo(echo_args(plan, process, false));
    let trio = harness.repeated("a echo", &servers, plan.repeat, job).await;
    harness.table.add("a echo", "raw-echo", &trio, ECHO_FIGURES);
}

/// b. The chat route as echo, one room per connection, so every message
/// goes through a group send; against two room servers, the tuned raw one
/// and one written the plain way. Then the same route mounted in axum,
/// against aqueduct's own server.
pub(super) async fn chat_as_echo(harness: &mut Harness, plan: &Plan) {
    let target = "b chat as echo";
    let baselines = [Server::RawRoom, Server::PlainRoom];
    let mut servers = baselines.to_vec();
    servers.extend([Server::Aqueduct, Server::AqueductAxum]);
    if harness.has_django() {
        servers.push(Server::Django);
    }
    let job = |process: &_| Command::Echo(echo_args(plan, process, true));
    // One set of rounds for every pairing: each round runs every server,
    // so the ratios share aqueduct's runs and the same stretch of time.
    let medians = harness
        .repeated_each(target, &servers, plan.repeat, job)
        .await;
    for baseline in baselines {
        let trio = medians.pair(baseline, Server::Aqueduct);
        harness
            .table
            .add(target, baseline.label(), &trio, ECHO_FIGURES);
    }
    // Here the "aqueduct" column is the axum-mounted route, so the ratio
    // is what mounting in axum costs; Django has nothing to say to that.
    let mounted = Trio {
        django: None,
        ..medians.pair(Server::Aqueduct, Server::AqueductAxum)
    };
    harness.table.add(
        "b chat as echo, axum",
        Server::Aqueduct.label(),
        &mounted,
        ECHO_FIGURES,
    );
}

pub(super) fn echo_args(plan: &Plan, process: &Deployment, rooms: bool) -> EchoArgs {
    EchoArgs {
        url: process.url(if rooms { "/ws/chat/r/" } else { "/ws/echo/" }),
        connections: plan.echo_connections,
        size: plan.echo_size,
        duration: plan.echo_duration,
        warmup: plan.echo_warmup,
        room_per_connection: rooms,
        tls_ca: process.tls_ca(),
    }
}

/// i. Echo on `/ws/echo/` over TLS, HTTP/1.1 by ALPN: aqueduct's server
/// against the raw echo server behind tokio-rustls, both serving a
/// certificate made for the target.
pub(super) async fn echo_over_tls(harness: &mut Harness, plan: &Plan) {
    let target = "i echo over TLS";
    if !harness.make_certificate(target) {
        return;
    }
    let servers = [Server::RawEchoTls, Server::AqueductTls];
    let job = |process: &_| Command::Echo(echo_args(plan, process, false));
    let medians = harness
        .repeated_each(target, &servers, plan.repeat, job)
        .await;
    let trio = medians.pair(Server::RawEchoTls, Server::AqueductTls);
    harness
        .table
        .add(target, Server::RawEchoTls.label(), &trio, ECHO_FIGURES);
}

/// c. Fan-out to one room at each subscriber count; returns, by server, the
/// first count it did not keep up with (`null` if it kept up with all).
/// Django stops climbing at its first failure; the others run every count.
pub(super) async fn fanout(harness: &mut Harness, plan: &Plan) -> Value {
    let mut servers = harness.servers(Server::RawRoom);
    let mut first_failure: Map<String, Value> = servers
        .iter()
        .map(|server| (server.label().to_owned(), Value::Null))
        .collect();
    for &subscribers in &plan.fanout_subscribers {
        let target = format!("c fanout {subscribers}");
        let job = |process: &Deployment| {
            Command::Fanout(FanoutArgs {
                url: process.url("/ws/chat/bench/"),
                also_urls: Vec::new(),
                subscribers,
                rate: plan.fanout_rate,
                duration: plan.fanout_duration,
                size: plan.fanout_size,
                drain: plan.fanout_drain,
            })
        };
        let trio = harness.repeated(&target, &servers, 1, job).await;
        let figures = [
            "deliveries_per_sec",
            "lost",
            "p99_us",
            "last_p99_us",
            "keeps_up",
        ];
        harness.table.add(&target, "raw-room", &trio, &figures);
        for server in servers.clone() {
            let report = trio.of(server);
            let kept_up = report.and_then(|report| report.get("keeps_up")?.as_bool());
            let first = first_failure.entry(server.label()).or_insert(Value::Null);
            if kept_up != Some(true) && first.is_null() {
                *first = subscribers.into();
                if server == Server::Django {
                    servers.retain(|&server| server != Server::Django);
                }
            }
        }
    }
    Value::Object(first_failure)
}

/// d. Memory per idle connection, then whether aqueduct holds the most
/// connections asked for; returns that answer if the run happened.
pub(super) async fn idle(harness: &mut Harness, plan: &Plan) -> Option<bool> {
    let idle = |connections| {
        move |process: &Deployment| {
            Command::Idle(IdleArgs {
                url: process.url("/ws/echo/"),
                connections,
                pid: process.pid(),
                hold: plan.idle_hold,
                concurrency: plan.concurrency,
            })
        }
    };
    let count = plan.idle_connections;
    let target = format!("d idle {count}");
    let servers = [Server::RawEcho, Server::Aqueduct];
    let trio = harness.repeated(&target, &servers, 1, idle(count)).await;
    let figures = [
        "kib_per_connection",
        "rss_before_kib",
        "rss_after_kib",
        "connections_open",
    ];
    harness.table.add(&target, "raw-echo", &trio, &figures);

    let most = plan.idle_max_connections;
    let target = format!("d idle {most}");
    eprintln!("== {target} on aqueduct");
    let held = harness.run(&target, Server::Aqueduct, idle(most)).await;
    let all_held = held
        .as_ref()
        .and_then(|report| report.get("all_held")?.as_bool());
    let trio = Trio {
        aqueduct: held,
        ..Trio::default()
    };
    let figures = ["connections_open", "all_held", "kib_per_connection"];
    harness.table.add(&target, "-", &trio, &figures);
    all_held
}

/// e. Handshakes per second.
pub(super) async fn connect(harness: &mut Harness, plan: &Plan) {
    let job = |process: &Deployment| {
        Command::Connect(ConnectArgs {
            url: process.url("/ws/echo/"),
            count: plan.connect_count,
            concurrency: plan.concurrency,
        })
    };
    let target = format!("e connect {}", plan.connect_count);
    let servers = [Server::RawEcho, Server::Aqueduct];
    let trio = harness.repeated(&target, &servers, plan.repeat, job).await;
    let figures = ["handshakes_per_sec", "p50_us", "p99_us", "failures"];
    harness.table.add(&target, "raw-echo", &trio, &figures);
}

/// f. Memory after many connect-and-close cycles, the median of
/// `repeat` runs; the raw server's figure is for reference.
pub(super) async fn churn(harness: &mut Harness, plan: &Plan) {
    let job = |process: &Deployment| {
        Command::Churn(ChurnArgs {
            url: process.url("/ws/echo/"),
            cycles: plan.churn_cycles,
            warmup_cycles: plan.churn_warmup,
            concurrency: plan.concurrency,
            pid: process.pid(),
            settle: plan.churn_settle,
        })
    };
    let target = format!("f churn {}", plan.churn_cycles);
    let servers = [Server::RawEcho, Server::Aqueduct];
    // The allocator's layout after 100,000 cycles varies from run to run
    // by a few percent, now and then by ten: the median of several runs
    // says what a server keeps, one run may say where glibc put things.
    let trio = harness.repeated(&target, &servers, plan.repeat, job).await;
    let figures = [
        "rss_before_kib",
        "rss_after_kib",
        "rss_change_pct",
        "failures",
    ];
    harness.table.add(&target, "raw-echo", &trio, &figures);
}

/// j. A chat room flooded with 4 KiB messages while a second client reads
/// as fast as it can and a third never reads: aqueduct as shipped, whose
/// reader ends with every message or closed with 4013, against aqueduct
/// dropping as Channels does; then aqueduct waiting up to a second for
/// room, against the same.
pub(super) async fn flood(harness: &mut Harness, plan: &Plan) {
    let target = format!("j flood {}", plan.flood_count);
    let servers = [Server::AqueductDrop, Server::Aqueduct, Server::AqueductWait];
    let job = |process: &Deployment| {
        Command::Flood(FloodArgs {
            url: process.url("/ws/chat/flood/"),
            count: plan.flood_count,
            size: 4096,
            pid: process.pid(),
            quiet: 2.0,
            stalled: 1,
        })
    };
    let medians = harness
        .repeated_each(&target, &servers, plan.repeat, job)
        .await;
    let figures = [
        "delivered",
        "gaps",
        "lost_silently",
        "close_code",
        "close_missed",
        "seconds",
        "flood_seconds",
        "rss_before_kib",
        "rss_peak_kib",
        "no_silent_loss",
    ];
    for (subject, row) in [
        (Server::Aqueduct, target.clone()),
        (Server::AqueductWait, format!("{target}, wait 1 s")),
    ] {
        let trio = Trio {
            django: None,
            ..medians.pair(Server::AqueductDrop, subject)
        };
        harness
            .table
            .add(&row, Server::AqueductDrop.label(), &trio, &figures);
    }
}
