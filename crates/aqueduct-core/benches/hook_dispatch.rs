//! What `#[async_trait]` costs a consumer hook against native `async fn`
//! in traits with a `Send` bound: per call, and in the size of the
//! connection's future. The figures decided that consumer hooks keep
//! `#[async_trait]` (see the `WebsocketConsumer` docs).
//!
//! Run with `cargo bench -p aqueduct-core --bench hook_dispatch`.

use std::future::Future;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

/// Hook calls per measured iteration, so that `block_on` is noise.
const CALLS: u64 = 1_000;
const CHAT: &str = r#"{"message": "hello, this is a chat line of typical length"}"#;

struct Ctx {
    sent: u64,
}

/// A hook as aqueduct declares it: each call boxes its future.
#[async_trait::async_trait]
trait Boxed: Send + 'static {
    async fn receive(&mut self, ctx: &mut Ctx, text: &str) -> Result<(), ()>;
}

/// The same hook as a native `async fn`: no box; its state lives inline in
/// the caller's future for as long as the connection does.
trait Native: Send + 'static {
    fn receive(&mut self, ctx: &mut Ctx, text: &str)
    -> impl Future<Output = Result<(), ()>> + Send;
}

/// Parses and re-encodes JSON and awaits once, as a chat hook does.
struct Chat;

async fn chat_hook(ctx: &mut Ctx, text: &str) -> Result<(), ()> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| ())?;
    black_box(serde_json::to_string(&value).map_err(|_| ())?);
    tokio::task::yield_now().await;
    ctx.sent += 1;
    Ok(())
}

#[async_trait::async_trait]
impl Boxed for Chat {
    async fn receive(&mut self, ctx: &mut Ctx, text: &str) -> Result<(), ()> {
        chat_hook(ctx, text).await
    }
}

impl Native for Chat {
    async fn receive(&mut self, ctx: &mut Ctx, text: &str) -> Result<(), ()> {
        chat_hook(ctx, text).await
    }
}

/// Does almost nothing but await once: the dispatch cost alone.
struct Echo;

#[async_trait::async_trait]
impl Boxed for Echo {
    async fn receive(&mut self, ctx: &mut Ctx, text: &str) -> Result<(), ()> {
        black_box(text);
        tokio::task::yield_now().await;
        ctx.sent += 1;
        Ok(())
    }
}

impl Native for Echo {
    async fn receive(&mut self, ctx: &mut Ctx, text: &str) -> Result<(), ()> {
        black_box(text);
        tokio::task::yield_now().await;
        ctx.sent += 1;
        Ok(())
    }
}

/// The consumer runner's shape: a generic loop that owns the consumer.
async fn run_boxed<C: Boxed>(mut consumer: C, text: &str) -> u64 {
    let mut ctx = Ctx { sent: 0 };
    for _ in 0..CALLS {
        consumer.receive(&mut ctx, black_box(text)).await.unwrap();
    }
    ctx.sent
}

async fn run_native<C: Native>(mut consumer: C, text: &str) -> u64 {
    let mut ctx = Ctx { sent: 0 };
    for _ in 0..CALLS {
        consumer.receive(&mut ctx, black_box(text)).await.unwrap();
    }
    ctx.sent
}

fn hooks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    eprintln!(
        "connection future: {} B with async_trait, {} B with native async fn",
        std::mem::size_of_val(&run_boxed(Chat, CHAT)),
        std::mem::size_of_val(&run_native(Chat, CHAT)),
    );
    let mut group = c.benchmark_group("1000 hook calls");
    bench(&mut group, &rt, "echo/async_trait", || {
        run_boxed(Echo, "hi")
    });
    bench(&mut group, &rt, "echo/native", || run_native(Echo, "hi"));
    bench(&mut group, &rt, "chat/async_trait", || {
        run_boxed(Chat, CHAT)
    });
    bench(&mut group, &rt, "chat/native", || run_native(Chat, CHAT));
    group.finish();
}

fn bench<F: Future<Output = u64>>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &Runtime,
    name: &str,
    run: impl Fn() -> F,
) {
    group.bench_function(name, |b| b.iter(|| assert_eq!(rt.block_on(run()), CALLS)));
}

criterion_group!(benches, hooks);
criterion_main!(benches);
