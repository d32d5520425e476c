//! What the Redis layer's tests share: the Redis they talk to, prefixes
//! that keep parallel tests apart, private `redis-server`s to kill and
//! restart, and the Python interpreter that has channels_redis.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use aqueduct_redis::{RedisChannelLayer, RedisConfig};
use aqueduct_test::service_available;

/// The shared Redis: `AQUEDUCT_REDIS_URL`, else the local default.
pub fn redis_url() -> String {
    std::env::var("AQUEDUCT_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether the shared Redis answers; skips (or, in CI, fails) the test if not.
pub fn redis_available() -> bool {
    let url = redis_url();
    let answers = redis::Client::open(url.as_str())
        .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(1)))
        .is_ok();
    service_available(&format!("Redis at {url}"), answers)
}

/// A key prefix no other test uses, and that no other prefix starts with
/// (flush deletes `prefix*`).
pub fn unique_prefix() -> String {
    format!("aqt-{}-", uuid_hex())
}

fn uuid_hex() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!(
        "{:08x}{:016x}{:08x}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A layer on the shared Redis under a fresh prefix.
pub async fn layer(config: RedisConfig) -> RedisChannelLayer {
    RedisChannelLayer::connect(config.host(redis_url()))
        .await
        .expect("connect to the test Redis")
}

/// A `redis-server` of the test's own, on a free port, to stop and start
/// without disturbing other tests. Killed when dropped.
pub struct RedisServer {
    pub port: u16,
    /// Options besides port and persistence, such as `--requirepass`.
    args: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one; `None` (after a SKIPPED line) if `redis-server` is missing.
    pub fn start() -> Option<Self> {
        Self::start_with(&[])
    }

    /// Starts one with extra `redis-server` options, kept across restarts.
    pub fn start_with(args: &[&str]) -> Option<Self> {
        if !service_available(
            "redis-server (to start private servers)",
            which("redis-server"),
        ) {
            return None;
        }
        let port = free_port();
        let args = args.iter().map(|arg| arg.to_string()).collect();
        let mut server = Self {
            port,
            args,
            child: None,
        };
        server.spawn();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server, as a crash would: everything in it is lost.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Whether `program` is on the `PATH`.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A Python interpreter that can `import channels_redis`:
/// `AQUEDUCT_PYTHON`, else the workspace's `.venv` that `.ci/run` makes.
/// `None` (after a SKIPPED line) if there is none.
pub fn python() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidate = std::env::var_os("AQUEDUCT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join(".venv/bin/python"));
    let works = Command::new(&candidate)
        .args(["-c", "import channels_redis, cryptography"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let what = format!(
        "Python with channels_redis and cryptography ({}; `.ci/run` makes it)",
        candidate.display()
    );
    service_available(&what, works).then_some(candidate)
}

/// The members of the sorted set `key` on the server at `url`, oldest
/// first: a group's channels, or a channel's stored messages.
pub async fn sorted_set<T: redis::FromRedisValue>(
    url: &str,
    key: &str,
) -> redis::RedisResult<Vec<T>> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::cmd("ZRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
}

/// Every line logged in this test binary at INFO and above, once
/// [`capture_logs`] has run.
static LOGS: Mutex<String> = Mutex::new(String::new());
/// Panics anywhere in this binary, tasks of the layer included.
static PANICS: AtomicUsize = AtomicUsize::new(0);

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        logs().push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures the log lines and counts the panics of the whole test binary,
/// with one process-wide subscriber: tests running side by side each read
/// the lines that name what only they do.
pub fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .init();
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::Relaxed);
            default_hook(info);
        }));
    });
}

/// The lines captured so far.
pub fn logs() -> MutexGuard<'static, String> {
    LOGS.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many panics there were so far.
pub fn panics() -> usize {
    PANICS.load(Ordering::Relaxed)
}
