//! The in-memory channel layer's hot paths: `group_send` to groups of
//! 10, 1,000 and 10,000 members, encoding and decoding a chat event (into
//! a struct, and into a consumer's tagged enum), and one event through
//! one channel.
//!
//! Run with `cargo bench -p aqueduct-core --bench group_send`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aqueduct_core::{ChannelLayer, Event, InMemoryChannelLayer};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

/// The chat tutorial's message, as it travels through the group.
#[derive(Serialize, Deserialize)]
struct ChatMessage {
    message: String,
}

/// The same message as a consumer's typed event: an enum tagged on "type".
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum ChatEvent {
    #[serde(rename = "chat.message")]
    ChatMessage(ChatMessage),
}

/// Channels' default per-channel capacity, which the layer keeps.
const CAPACITY: u64 = 100;

fn chat_event() -> Event {
    let chat = ChatMessage {
        message: "hello, room".to_owned(),
    };
    Event::new("chat.message", &chat).expect("a struct encodes to a map")
}

/// A layer with default settings and one group, `chat_bench`, of `size`
/// fresh channels, returned with the channel names.
async fn group_of(size: usize) -> (InMemoryChannelLayer, Vec<String>) {
    let layer = InMemoryChannelLayer::new();
    let mut members = Vec::with_capacity(size);
    for _ in 0..size {
        let channel = layer.new_channel("specific").await.unwrap();
        layer.group_add("chat_bench", &channel).await.unwrap();
        members.push(channel);
    }
    (layer, members)
}

/// Sends `iters` events to the group and returns the time spent in
/// `group_send` alone.
///
/// The layer keeps Channels' default capacity of 100, and the members
/// never read on their own: so the events go out in runs of at most 100,
/// and every member's channel is drained, untimed, after each run. No
/// member is ever full, and every `group_send` delivers to all of them.
async fn timed_group_sends(
    layer: &InMemoryChannelLayer,
    members: &[String],
    iters: u64,
) -> Duration {
    let event = chat_event();
    let mut elapsed = Duration::ZERO;
    let mut skipped = 0;
    let mut left = iters;
    while left > 0 {
        let run = left.min(CAPACITY);
        let start = Instant::now();
        for _ in 0..run {
            let report = layer.group_send("chat_bench", event.clone()).await.unwrap();
            skipped += report.over_capacity;
        }
        elapsed += start.elapsed();
        for channel in members {
            for _ in 0..run {
                black_box(layer.receive(channel).await.unwrap());
            }
        }
        left -= run;
    }
    assert_eq!(skipped, 0, "a member was full: the drain is wrong");
    elapsed
}

fn group_send(c: &mut Criterion, runtime: &Runtime) {
    let mut group = c.benchmark_group("group_send");
    for size in [10, 1_000, 10_000] {
        let (layer, members) = runtime.block_on(group_of(size));
        // Deliveries per second, not sends per second.
        group.throughput(Throughput::Elements(size as u64));
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.to_async(runtime)
                .iter_custom(|iters| timed_group_sends(&layer, &members, iters));
        });
    }
    group.finish();
}

fn event(c: &mut Criterion) {
    let chat = ChatMessage {
        message: "hello, room".to_owned(),
    };
    let event = chat_event();
    let mut group = c.benchmark_group("event");
    group.bench_function("encode", |b| {
        b.iter(|| Event::new(black_box("chat.message"), black_box(&chat)));
    });
    group.bench_function("decode", |b| {
        b.iter(|| black_box(&event).decode::<ChatMessage>());
    });
    // What a consumer's `event` hook costs before it runs: serde buffers
    // an internally tagged map to find its tag, then decodes the variant.
    group.bench_function("decode_tagged_enum", |b| {
        b.iter(|| black_box(&event).decode::<ChatEvent>());
    });
    group.finish();
}

fn channel(c: &mut Criterion, runtime: &Runtime) {
    let layer = InMemoryChannelLayer::new();
    let channel = runtime.block_on(layer.new_channel("specific")).unwrap();
    let event = chat_event();
    c.bench_function("channel/send_receive", |b| {
        b.to_async(runtime).iter(|| async {
            layer.send(&channel, event.clone()).await.unwrap();
            layer.receive(&channel).await.unwrap()
        });
    });
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    group_send(c, &runtime);
    event(c);
    channel(c, &runtime);
}

criterion_group!(group_send_benches, benches);
criterion_main!(group_send_benches);
