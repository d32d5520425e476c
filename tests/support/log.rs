//! What the code under test logs, captured for assertions.

use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Every tracing event of the test binary as one line: its level, its
/// spans with their fields (`websocket{ path="/ws/chat/lobby/" …}`), and
/// its own fields (`message` included), each as `name=Debug`.
///
/// The capture is global: tracing caches whether a log line is wanted
/// across threads, so a subscriber scoped to one test could miss lines.
/// Tests that share it look for lines that name what only they do.
#[derive(Clone, Debug, Default)]
pub struct LogCapture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl<S> tracing_subscriber::Layer<S> for LogCapture
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields(event.metadata().level().to_string());
        for span in ctx
            .event_scope(event)
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            let extensions = span.extensions();
            let own = extensions.get::<Fields>().map_or("", |fields| &fields.0);
            let _ = write!(fields.0, " {}{{{own} }}", span.name());
        }
        event.record(&mut fields);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields.0);
    }
}

impl LogCapture {
    /// The one capture of this test binary, installed on first use.
    pub fn global() -> &'static LogCapture {
        static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
        CAPTURE.get_or_init(|| {
            let capture = LogCapture::default();
            let subscriber = tracing_subscriber::registry().with(capture.clone());
            tracing::subscriber::set_global_default(subscriber).unwrap();
            capture
        })
    }

    /// Waits up to five seconds for a line that holds every piece, and
    /// returns it; fails the test with every line otherwise.
    pub async fn wait_for(&self, pieces: &[&str]) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let lines = self.lines();
            if let Some(line) = lines.iter().find(|l| pieces.iter().all(|p| l.contains(p))) {
                return line.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!("no log line with {pieces:?}; got:\n{}", lines.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A copy of the lines so far: a failing test never holds the lock, so
    /// it cannot poison it for the tests running beside it.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
