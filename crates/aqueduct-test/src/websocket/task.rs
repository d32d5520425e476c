//! The application's task: one per connection, as on the server.

use std::time::Duration;

use aqueduct_core::{BoxWebsocketApp, Scope};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::io::TestIo;

/// Runs `app` over `io` in a task of its own.
///
/// When the communicator is dropped without a disconnect, `abandoned`
/// resolves: the application has seen its queue close (a 1006 disconnect)
/// and gets `grace` to run its disconnect hook, after which the task is
/// cancelled, so a stuck application cannot outlive its test.
pub(super) fn spawn_app(
    app: BoxWebsocketApp,
    scope: Scope,
    io: TestIo,
    abandoned: oneshot::Receiver<()>,
    grace: Duration,
) -> JoinHandle<()> {
    // The span the server opens for each connection, so log lines (and
    // the channel name the consumer records on it) read the same.
    let span = tracing::info_span!(
        "websocket",
        path = %scope.path(),
        client = ?scope.client(),
        channel = tracing::field::Empty,
    );
    let task = async move {
        let call = app.call(scope, Box::new(io));
        tokio::select! {
            () = call => {}
            () = give_up(abandoned, grace) => tracing::warn!(
                ?grace,
                "application still running after its communicator was dropped; cancelled"
            ),
        }
    };
    tokio::spawn(task.instrument(span))
}

async fn give_up(abandoned: oneshot::Receiver<()>, grace: Duration) {
    // Nothing is ever sent: the sender being dropped is the signal.
    let _ = abandoned.await;
    tokio::time::sleep(grace).await;
}
